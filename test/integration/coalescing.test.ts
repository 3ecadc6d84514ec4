import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import type { Received } from '../helpers/receiver';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call, eventually } from '../helpers/stack';

describe('coalescing', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, send, waitForDelivery, waitForStatus } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;
  const idOf = (q: Received) => (JSON.parse(q.body) as { id: string }).id;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** The delivery once it left `pending` (the coalescing wait), whatever it became. */
  const settledDelivery = (id: string) =>
    eventually(
      async () => {
        const d = await kit.delivery(id);
        return d && d.status !== 'pending' ? d : undefined;
      },
      30_000,
      `delivery ${id} to leave pending`,
    );

  /** The answer fits the schema the OpenAPI document gives for it (the new status and field included). */
  async function assertDocumented(method: string, docPath: string, path: string): Promise<any> {
    const doc = (await api('GET', '/openapi.json')).body;
    const res = await api(method.toUpperCase(), path);
    const schema = doc.paths[docPath][method].responses[String(res.status)].content['application/json'].schema;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile({ ...schema, components: doc.components });
    assert.ok(validate(res.body), `${method} ${path}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
    return res.body;
  }

  const dispositionUpdated = (callId: string, disposition: string) => ({
    type: 'disposition_updated',
    occurredAt: new Date().toISOString(),
    data: { callId, disposition, metadata: { test: kit.tag } },
  });

  it('delivers only the last of 5 disposition_updated events of a call within the window; the others read coalesced', async () => {
    const r = await receiver();
    const windowMs = 3_000;
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), coalesce: { per: 'call', windowMs } });
    const callId = unique('call');
    const firstSentAt = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await send(dispositionUpdated(callId, `step-${i}`))).id);
      if (i < 4) await pause(350);
    }
    assert.ok(Date.now() - firstSentAt < 2_000, `the 5 events took ${Date.now() - firstSentAt} ms to send`);
    const last = ids[4];

    const [q] = await r.waitFor(1, 20_000);
    assert.equal(idOf(q), last);
    assert.equal(JSON.parse(q.body).data.disposition, 'step-4');
    new Webhook(ep.secret).verify(q.body, q.headers as Record<string, string>);
    // The window runs from the first event (as it reached the coalescer, after its send).
    assert.ok(q.at - firstSentAt >= windowMs - 100, `delivered ${q.at - firstSentAt} ms after the first send`);

    const winner = await waitForDelivery(deliveryOf(last, ep.id), 'delivered');
    assert.equal(winner.attempts.length, 1);
    assert.equal(winner.coalescedBy, undefined);
    for (const id of ids.slice(0, 4)) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'coalesced');
      assert.equal(d.coalescedBy, last);
      assert.match(d.reason, new RegExp(`replaced by event ${last}`));
      assert.equal(d.attempts.length, 0);
      const event = await waitForStatus(id, 'coalesced');
      assert.equal(event.deliveries[0].status, 'coalesced');
      assert.equal(event.deliveries[0].coalescedBy, last);
    }
    // Listed by status too (the search attributes the event workflows publish).
    const listed = await eventually(
      async () => {
        const res = await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=coalesced`);
        return res.body.data.length === 4 ? res.body.data : undefined;
      },
      15_000,
      'the 4 coalesced deliveries to be listed',
    );
    assert.deepEqual(listed.map((d: { eventId: string }) => d.eventId).sort(), ids.slice(0, 4).sort());
    // The OpenAPI document covers the status, `coalescedBy` and the endpoint's `coalesce`.
    const ev = await assertDocumented('get', '/v1/events/{id}', `/v1/events/${ids[0]}`);
    assert.equal(ev.deliveries[0].coalescedBy, last);
    const del = await assertDocumented('get', '/v1/deliveries/{id}', `/v1/deliveries/${deliveryOf(ids[0], ep.id)}`);
    assert.equal(del.status, 'coalesced');
    await assertDocumented('get', '/v1/deliveries', `/v1/deliveries?endpointId=${ep.id}&status=coalesced`);
    const endpoint = await assertDocumented('get', '/v1/endpoints/{id}', `/v1/endpoints/${ep.id}`);
    assert.deepEqual(endpoint.coalesce, { per: 'call', windowMs });
    await pause(1_000);
    assert.equal(r.requests.length, 1, 'only the last event was sent');
  });

  it('does not coalesce events of another call or of another type', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), coalesce: { per: 'call', windowMs: 3_000 } });
    const callA = unique('call');
    const callB = unique('call');
    const a1 = (await send(dispositionUpdated(callA, 'a-1'))).id;
    const b1 = (await send(dispositionUpdated(callB, 'b-1'))).id;
    const aCompleted = (await send(kit.completedCall(callA))).id;
    const a2 = (await send(dispositionUpdated(callA, 'a-2'))).id;

    const received = await r.waitFor(3, 20_000);
    assert.deepEqual(received.map(idOf).sort(), [a2, b1, aCompleted].sort());
    for (const id of [a2, b1, aCompleted]) await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    const replaced = await waitForDelivery(deliveryOf(a1, ep.id), 'coalesced');
    assert.equal(replaced.coalescedBy, a2);
    await pause(1_000);
    assert.equal(r.requests.length, 3);
  });

  it('keeps a window from its first event: a steady flurry still delivers every windowMs', async () => {
    const r = await receiver();
    const windowMs = 1_500;
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), coalesce: { per: 'call', windowMs } });
    const callId = unique('call');
    const ids: string[] = [];
    const started = Date.now();
    // A flurry longer than two windows, with gaps far shorter than one: a sliding window would never close.
    while (Date.now() - started < 2.5 * windowMs) {
      ids.push((await send(dispositionUpdated(callId, `step-${ids.length}`))).id);
      await pause(250);
    }
    await waitForDelivery(deliveryOf(ids.at(-1)!, ep.id), 'delivered');
    const sent = r.requests.map(idOf);
    assert.ok(sent.length >= 2, `${sent.length} request(s) for a flurry of ${ids.length} events over ${2.5 * windowMs} ms`);
    assert.equal(sent.at(-1), ids.at(-1));
    // Every other event was replaced by a delivered one that arrived after it.
    for (const id of ids.filter((i) => !sent.includes(i))) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'coalesced');
      assert.ok(sent.includes(d.coalescedBy) && ids.indexOf(d.coalescedBy) > ids.indexOf(id), `${id} coalesced by ${d.coalescedBy}`);
    }
    assert.deepEqual([...sent].sort((a, b) => ids.indexOf(a) - ids.indexOf(b)), sent, 'the windows went out in order');
  });

  it('resends a coalesced delivery: it then arrives, without waiting for a window', async () => {
    const r = await receiver();
    const windowMs = 3_000;
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), coalesce: { per: 'call', windowMs } });
    const callId = unique('call');
    const first = (await send(dispositionUpdated(callId, 'first'))).id;
    const second = (await send(dispositionUpdated(callId, 'second'))).id;
    const settled = await settledDelivery(deliveryOf(first, ep.id));
    assert.equal(settled.status, 'coalesced', JSON.stringify(settled));
    await waitForDelivery(deliveryOf(second, ep.id), 'delivered');
    assert.deepEqual(r.requests.map(idOf), [second]);

    const resentAt = Date.now();
    const res = await api('POST', `/v1/deliveries/${deliveryOf(first, ep.id)}/resend`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const [, q] = await r.waitFor(2, 20_000);
    assert.equal(idOf(q), first);
    new Webhook(ep.secret).verify(q.body, q.headers as Record<string, string>);
    assert.ok(q.at - resentAt < windowMs, `the resend took ${q.at - resentAt} ms: it went through a window`);
    const d = await waitForDelivery(deliveryOf(first, ep.id), 'delivered');
    assert.equal(d.coalescedBy, undefined);
    assert.equal(d.attempts.length, 1);
    await waitForStatus(first, 'delivered');
  });

  it('recovers coalesced deliveries in bulk: a recover job with statuses ["coalesced"] sends each replaced event', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), coalesce: { per: 'call', windowMs: 1_500 } });
    const since = new Date(Date.now() - 1_000).toISOString();
    const callId = unique('call');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await send(dispositionUpdated(callId, `step-${i}`))).id);
    await waitForDelivery(deliveryOf(ids[2], ep.id), 'delivered');
    for (const id of ids.slice(0, 2)) await waitForDelivery(deliveryOf(id, ep.id), 'coalesced');
    await eventually(async () => {
      const list = await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=coalesced`);
      return list.body.data.length === 2;
    }, 15_000, 'the coalesced deliveries to be listed');

    const started = await api('POST', `/v1/endpoints/${ep.id}/recover`, { since, statuses: ['coalesced'] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const job = await eventually(async () => {
      const p = await api('GET', `/v1/jobs/${started.body.jobId}`);
      return p.body.status === 'completed' ? p.body : undefined;
    }, 30_000, 'the recover job');
    assert.deepEqual({ total: job.total, done: job.done, failed: job.failed }, { total: 2, done: 2, failed: 0 });
    for (const id of ids.slice(0, 2)) await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    await r.waitFor(3, 20_000);
    assert.deepEqual(r.requests.map(idOf).sort(), [...ids].sort());
    for (const q of r.requests) new Webhook(ep.secret).verify(q.body, q.headers as Record<string, string>);
  });

  it('refuses coalesce with batch or ordering, at create and at PATCH', async () => {
    const r = await receiver();
    const coalesce = { per: 'call', windowMs: 1_000 };
    const withBatch = await api('POST', '/v1/endpoints', { url: r.url, coalesce, batch: { maxSize: 5, maxWaitMs: 1_000 } });
    assert.equal(withBatch.status, 400);
    assert.match(withBatch.body.error.message, /coalesce: cannot be combined with batch/);
    const ordered = await createEndpoint({ url: r.url, ordering: 'per_call' });
    const patched = await api('PATCH', `/v1/endpoints/${ordered.id}`, { coalesce });
    assert.equal(patched.status, 400);
    assert.match(patched.body.error.message, /coalesce: cannot be combined with ordering/);
    // Clearing ordering in the same PATCH makes it meaningful again.
    const fixed = await api('PATCH', `/v1/endpoints/${ordered.id}`, { coalesce, ordering: null });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.deepEqual(fixed.body.coalesce, coalesce);
    const badPer = await api('POST', '/v1/endpoints', { url: r.url, coalesce: { per: 'endpoint', windowMs: 1_000 } });
    assert.equal(badPer.status, 400);
  });
});
