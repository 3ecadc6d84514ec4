import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { dataSchemaFor, eventTypes, referencedPaths, sensitivePaths, type EventType } from '../../src/domain/catalog';
import { hasPath } from '../../src/paths';
import { fastRetry, unique, useKit } from '../helpers/kit';
import type { Receiver } from '../helpers/receiver';
import { call, eventually, type Stack } from '../helpers/stack';

/** Issue 14 §5 and §6: endpoint tests of every type, and callback_scheduled without a phone. */
describe('sample events and callback_scheduled without a phone, through the real stack', function () {
  this.timeout(120_000);
  const kit = useKit();
  const { receiver, createEndpoint, send, waitForStatus } = kit;
  let stack: Stack;
  before(() => {
    stack = kit.stack;
  });

  /** The one request `r` got for `eventId`, checked against the endpoint's secret by standardwebhooks. */
  async function verifiedBody(r: Receiver, secret: string, eventId: string): Promise<any> {
    const got = await eventually(async () => r.requests.find((q) => q.webhookId === eventId), 10_000, `the webhook of ${eventId}`);
    return new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
  }

  it('GET /v1/event-types lists a valid example for every type', async () => {
    const res = await call(stack.api, 'GET', '/v1/event-types');
    assert.equal(res.status, 200);
    const listed = res.body.data as Array<{ type: EventType; example: Record<string, unknown> }>;
    assert.deepEqual(listed.map((e) => e.type).sort(), [...eventTypes].sort());
    for (const entry of listed) {
      assert.equal(typeof entry.example, 'object', entry.type);
      assert.equal(dataSchemaFor(entry.type).safeParse(entry.example).success, true, entry.type);
    }
  });

  it('sends every type’s example, signed, marked test: true and scoped per endpoint', async () => {
    const examples = new Map<string, Record<string, unknown>>(
      (await call(stack.api, 'GET', '/v1/event-types')).body.data.map((e: any) => [e.type, e.example]),
    );
    const plainReceiver = await receiver();
    const approvedReceiver = await receiver();
    // Subscribed to one type only: a test sends the asked type whatever the endpoint takes.
    const plain = await createEndpoint({ url: plainReceiver.url, eventTypes: ['call_completed'] });
    const approved = await createEndpoint({ url: approvedReceiver.url, payloadScope: { sensitive: true } });

    for (const type of eventTypes) {
      const [toPlain, toApproved] = await Promise.all(
        [plain, approved].map((ep) => call(stack.api, 'POST', `/v1/endpoints/${ep.id}/test`, { type })),
      );
      for (const res of [toPlain, toApproved]) {
        assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.delivered, true, type);
      }
      const example = examples.get(type)!;
      const fromPlain = await verifiedBody(plainReceiver, plain.secret, toPlain.body.eventId);
      const fromApproved = await verifiedBody(approvedReceiver, approved.secret, toApproved.body.eventId);
      for (const [body, eventId] of [[fromPlain, toPlain.body.eventId], [fromApproved, toApproved.body.eventId]]) {
        assert.equal(body.type, type);
        assert.equal(body.id, eventId);
        assert.equal(body.test, true, type);
      }
      // Approved for sensitive fields: the whole example, its links as reference URLs that lead to them.
      const links = referencedPaths(type);
      for (const field of links) {
        const reference = fromApproved.data[field] as string;
        assert.ok(reference.startsWith(`${stack.api}/v1/references/`), `${type}.${field}: ${reference}`);
        assert.equal((await fetch(reference, { redirect: 'manual' })).headers.get('location'), example[field], `${type}.${field}`);
      }
      assert.deepEqual({ ...fromApproved.data, ...Object.fromEntries(links.map((f) => [f, example[f]])) }, example, type);
      // Not approved: every sensitive field is gone, everything else is the example's.
      const sensitive = sensitivePaths(type);
      for (const path of sensitive) assert.equal(hasPath(fromPlain.data, path), false, `${type}.${path} reached an unapproved endpoint`);
      for (const [key, value] of Object.entries(example)) {
        if (!sensitive.includes(key)) assert.deepEqual(fromPlain.data[key], value, `${type}.${key}`);
      }
      if (sensitive.length > 0) assert.notDeepEqual(fromPlain.data, example, type);
    }
    // One request per test send, none for anything else.
    assert.equal(plainReceiver.requests.length, eventTypes.length);
    assert.equal(approvedReceiver.requests.length, eventTypes.length);
  });

  it('sends endpoint_test, marked test: true, when no type is given', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url });
    for (const body of [undefined, {}]) {
      const res = await call(stack.api, 'POST', `/v1/endpoints/${ep.id}/test`, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const got = await verifiedBody(r, ep.secret, res.body.eventId);
      assert.equal(got.type, 'endpoint_test');
      assert.equal(got.test, true);
      assert.equal(got.data.callId, 'test');
    }
  });

  it('refuses an unknown type with a 400 naming it, and sends nothing', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url });
    const res = await call(stack.api, 'POST', `/v1/endpoints/${ep.id}/test`, { type: 'call_exploded' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_request');
    assert.match(res.body.error.message, /unknown event type "call_exploded"/);
    assert.equal(res.body.error.details[0].path, 'type');
    assert.equal(r.requests.length, 0);
  });

  it('a failing test send of an operational type begets no operational event; a real failure does', async () => {
    const failing = await receiver(() => 503);
    const watcher = await receiver();
    const broken = await createEndpoint({ url: failing.url, retry: fastRetry(1) });
    // Not through the kit: operational events carry no call metadata, so the kit's tag filter would hide
    // them. Left in place afterwards: its filter names this test's endpoint alone, and deleting it
    // would start a job that may still be running when the stack stops.
    const watch = await call(stack.api, 'POST', '/v1/endpoints', {
      id: unique('ep'),
      url: watcher.url,
      eventTypes: ['delivery_exhausted'],
      filter: { 'data.endpointId': broken.id },
    });
    assert.equal(watch.status, 201, JSON.stringify(watch.body));

    const tested = await call(stack.api, 'POST', `/v1/endpoints/${broken.id}/test`, { type: 'delivery_exhausted' });
    assert.equal(tested.status, 200, JSON.stringify(tested.body));
    assert.equal(tested.body.delivered, false);
    assert.equal(tested.body.statusCode, 503);

    // A resend of a failed test runs without the probe: it still says test: true, and its
    // exhaustion (awaiting review after its one attempt) still begets nothing.
    const resent = await call(stack.api, 'POST', `/v1/deliveries/${tested.body.eventId}~${broken.id}/resend`);
    assert.equal(resent.status, 202, JSON.stringify(resent.body));
    await waitForStatus(tested.body.eventId, 'awaiting_review');
    assert.equal(failing.requests.length, 2);
    const again = new Webhook(broken.secret).verify(failing.requests[1].body, failing.requests[1].headers as Record<string, string>) as any;
    assert.equal(again.test, true);
    assert.equal(again.type, 'delivery_exhausted');

    // The control: a real event that exhausts its attempts does reach the watcher, so its silence above means something.
    const real = await send(kit.completedCall(unique('call')));
    await waitForStatus(real.id, 'awaiting_review');
    const [got] = await watcher.waitFor(1);
    const exhausted = new Webhook(watch.body.secret).verify(got.body, got.headers as Record<string, string>) as any;
    assert.equal(exhausted.type, 'delivery_exhausted');
    assert.equal(exhausted.data.eventId, real.id);
    assert.equal('test' in exhausted, false);
    // Only the real event's: the test send's failures started nothing.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(watcher.requests.length, 1);
  });

  describe('callback_scheduled', () => {
    const window = { start: '2026-12-01T14:00:00Z', end: '2026-12-01T16:00:00Z', timezone: 'America/Chicago' };

    it('is accepted and delivered with only callId, contactToken and window', async () => {
      const r = await receiver();
      const ep = await createEndpoint({ url: r.url, eventTypes: ['callback_scheduled'], payloadScope: { sensitive: true } });
      const callId = unique('call');
      const data = { callId, contactToken: 'ct_7f3a9c2e', window, metadata: { test: kit.tag } };
      const sent = await send({ type: 'callback_scheduled', data });
      await waitForStatus(sent.id, 'delivered');
      const body = await verifiedBody(r, ep.secret, sent.id);
      assert.deepEqual(body.data, data);
      assert.equal('test' in body, false);
    });

    it('still takes a phone, and drops it for an endpoint not approved for it', async () => {
      const plainReceiver = await receiver();
      const approvedReceiver = await receiver();
      const plain = await createEndpoint({ url: plainReceiver.url, eventTypes: ['callback_scheduled'] });
      const approved = await createEndpoint({ url: approvedReceiver.url, eventTypes: ['callback_scheduled'], payloadScope: { sensitive: true } });
      const data = { callId: unique('call'), contactToken: 'ct_7f3a9c2e', window, phone: '+15555550142', metadata: { test: kit.tag } };
      const sent = await send({ type: 'callback_scheduled', data });
      await waitForStatus(sent.id, 'delivered');
      const toPlain = await verifiedBody(plainReceiver, plain.secret, sent.id);
      const toApproved = await verifiedBody(approvedReceiver, approved.secret, sent.id);
      assert.equal('phone' in toPlain.data, false);
      assert.equal(toPlain.data.contactToken, 'ct_7f3a9c2e');
      assert.deepEqual(toApproved.data, data);
    });
  });
});
