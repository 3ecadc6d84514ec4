import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call } from '../helpers/stack';

const MAPPING = '{ "Subject": "Call " & data.callId, "Status": data.disposition = "booked" ? "Completed" : "Open", "WhoId": data.metadata.leadId, "Description": data.summary, "EventId": id }';

describe('endpoint transforms through the real stack', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, send, waitForDelivery, delivery } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;

  it('refuses an expression that does not compile, at create and at PATCH, with the position', async () => {
    const r = await receiver();
    const created = await api('POST', '/v1/endpoints', { id: unique('ep'), url: r.url, transform: { jsonata: '{ "a": data.callId ' } });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.error.code, 'invalid_transform');
    assert.equal(typeof created.body.error.details[0].position, 'number');
    assert.match(created.body.error.message, /position/);

    const ep = await createEndpoint({ url: r.url });
    const patched = await api('PATCH', `/v1/endpoints/${ep.id}`, { transform: { jsonata: 'data.(' } });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.error.code, 'invalid_transform');
    assert.equal(typeof patched.body.error.details[0].position, 'number');
    // The refused patch changed nothing.
    assert.equal((await api('GET', `/v1/endpoints/${ep.id}`)).body.transform, undefined);
    const ok = await api('PATCH', `/v1/endpoints/${ep.id}`, { transform: { jsonata: MAPPING } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.transform, { jsonata: MAPPING });
  });

  it('refuses a transform on a batched endpoint', async () => {
    const r = await receiver();
    const res = await api('POST', '/v1/endpoints', { id: unique('ep'), url: r.url, batch: { maxSize: 5, maxWaitMs: 500 }, transform: { jsonata: MAPPING } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_request');
    assert.match(res.body.error.message, /batch/);
  });

  it('delivers the transformed body, signed over it, without fields the endpoint is not approved for', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'], transform: { jsonata: MAPPING } });
    const callId = unique('call');
    const { id } = await send(completedCall(callId, { disposition: 'booked' }));
    const [got] = await r.waitFor(1);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as Record<string, unknown>;
    // data.summary is sensitive and the endpoint is not approved for it: the transform cannot see it.
    assert.deepEqual(verified, { Subject: `Call ${callId}`, Status: 'Completed', WhoId: 'L-1', EventId: id });
    assert.deepEqual(JSON.parse(got.body), verified);
    assert.equal(got.headers['webhook-id'], id);
    await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
  });

  it('sends nothing when the transform fails: review with transform_failed, then PATCH and resend delivers', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'], retry: fastRetry(5), transform: { jsonata: '"Call " & data.callId' } });
    const callId = unique('call');
    const { id } = await send(completedCall(callId));
    const dId = deliveryOf(id, ep.id);
    const d = await waitForDelivery(dId, 'awaiting_review');
    assert.match(d.reason, /^transform_failed: /);
    assert.match(d.reason, /object or array/);
    assert.equal(d.attempts.length, 0);
    assert.equal(r.requests.length, 0);

    // $error fails the same way, with its message.
    const patched = await api('PATCH', `/v1/endpoints/${ep.id}`, { transform: { jsonata: '$error("no lead id")' } });
    assert.equal(patched.status, 200);
    assert.equal((await api('POST', `/v1/deliveries/${dId}/resend`, {})).status < 300, true);
    const again = await eventuallyReason(dId, /no lead id/);
    assert.match(again, /^transform_failed: .*no lead id/);
    assert.equal(r.requests.length, 0);

    assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { transform: { jsonata: MAPPING } })).status, 200);
    assert.equal((await api('POST', `/v1/deliveries/${dId}/resend`, {})).status < 300, true);
    const [got] = await r.waitFor(1);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as Record<string, unknown>;
    assert.equal(verified.Subject, `Call ${callId}`);
    assert.equal(verified.Status, 'Open');
    const done = await waitForDelivery(dId, 'delivered');
    assert.equal(done.attempts.length, 1);
  });

  async function eventuallyReason(dId: string, pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const d = await delivery(dId);
      if (d?.status === 'awaiting_review' && pattern.test(d.reason ?? '')) return d.reason;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.fail(`delivery ${dId} never went back to review with ${pattern}`);
  }

  it('previews the transformed body and the headers; sends and stores nothing', async () => {
    const r = await receiver();
    const ep = await createEndpoint({
      url: r.url,
      eventTypes: ['call_completed'],
      headers: { 'x-tenant': 'acme' },
      auth: { type: 'bearer', token: 'tok-preview' },
      transform: { jsonata: MAPPING },
    });
    const sample = completedCall('call-preview', { disposition: 'booked' });
    const res = await api('POST', `/v1/endpoints/${ep.id}/preview`, { type: sample.type, data: sample.data, occurredAt: sample.occurredAt });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.body.Subject, 'Call call-preview');
    assert.equal(res.body.body.Status, 'Completed');
    assert.equal('Description' in res.body.body, false);
    assert.match(res.body.body.EventId, /^evt_/);
    assert.equal(res.body.headers['x-tenant'], 'acme');
    assert.equal(res.body.headers.authorization, 'Bearer tok-preview');
    assert.equal(res.body.headers['content-type'], 'application/json');
    assert.equal(res.body.headers['webhook-id'], res.body.body.EventId);
    for (const name of ['webhook-timestamp', 'webhook-signature']) assert.ok(name in res.body.headers, name);
    assert.doesNotMatch(res.body.headers['webhook-signature'], /^v1,/);

    // Nothing sent, nothing stored: no request and no delivery for the previewed event.
    await new Promise((res2) => setTimeout(res2, 1_000));
    assert.equal(r.requests.length, 0);
    assert.equal((await api('GET', `/v1/events/${res.body.body.EventId}`)).status, 404);
    const listed = await api('GET', `/v1/deliveries?endpointId=${ep.id}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 0);
  });

  it('answers 422 transform_failed when the preview\'s transform fails, and 404 for an unknown endpoint', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, transform: { jsonata: '$error("missing lead")' } });
    const sample = completedCall('call-x');
    const res = await api('POST', `/v1/endpoints/${ep.id}/preview`, { type: sample.type, data: sample.data });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'transform_failed');
    assert.match(res.body.error.message, /missing lead/);
    assert.equal((await api('POST', `/v1/endpoints/${unique('nope')}/preview`, { type: sample.type, data: sample.data })).status, 404);
    assert.equal(r.requests.length, 0);
  });

  it('previews an endpoint without a transform as the plain scoped body', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url });
    const sample = completedCall('call-plain');
    const res = await api('POST', `/v1/endpoints/${ep.id}/preview`, { type: sample.type, data: sample.data });
    assert.equal(res.status, 200);
    assert.equal(res.body.body.type, 'call_completed');
    assert.equal(res.body.body.data.callId, 'call-plain');
    assert.equal('summary' in res.body.body.data, false);
  });

  it('sends an endpoint test through the transform', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, transform: { jsonata: '{ "kind": type, "ref": data.callId }' } });
    const res = await api('POST', `/v1/endpoints/${ep.id}/test`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.delivered, true);
    const [got] = await r.waitFor(1);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>);
    assert.deepEqual(verified, { kind: 'endpoint_test', ref: 'test' });
  });
});
