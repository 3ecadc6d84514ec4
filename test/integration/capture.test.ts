import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import type { purgeAttemptLog } from '../../workflows';
import type { Received } from '../helpers/receiver';
import { unique, useKit } from '../helpers/kit';
import { call, eventually } from '../helpers/stack';

/**
 * Case ids flow back (docs/case-ids.md): values captured from an endpoint's 2xx answer reach the
 * call's later events as `data.context`, through the HTTP API, real receivers and real Temporal,
 * on the SQLite store (capturePostgres.test.ts runs the same path on PostgreSQL).
 */

type Payload = { id: string; type: string; data: Record<string, unknown> & { context?: Record<string, unknown> } };

const JSON_TYPE = { 'content-type': 'application/json' };
const answer = (body: unknown, delayMs = 0) => ({ status: 200, delayMs, headers: JSON_TYPE, body: JSON.stringify(body) });

describe('capture: case ids flow into later events', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, send, waitForDelivery } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);

  /** The signed body, verified as a customer's receiver would (the `standardwebhooks` package). */
  const verified = (secret: string, got: Received) => new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as Payload;
  const dispositionOf = (callId: string, occurredAt = '2026-11-29T10:00:06Z') => ({
    type: 'disposition_updated',
    occurredAt,
    data: { callId, metadata: { test: kit.tag }, disposition: 'booked', previousDisposition: 'qualified' },
  });
  /** GET /v1/calls/:callId once visibility lists `events` events of the call, all with a final status. */
  const callView = (callId: string, events: number) =>
    eventually(
      async () => {
        const res = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`);
        const settled = res.body?.events?.length === events && res.body.events.every((e: { status: string }) => e.status !== 'pending');
        return res.status === 200 && settled ? res.body : undefined;
      },
      30_000,
      `call ${callId} with ${events} settled events`,
    );

  it('carries the case id captured from one endpoint’s answer to the call’s later events, signed, and shows it at GET /v1/calls/:callId', async () => {
    const crm = await receiver(() => answer({ id: 'CASE-1042', status: 'open' }));
    const helpdesk = await receiver();
    const a = await createEndpoint({ url: crm.url, eventTypes: ['call_completed'], capture: { caseId: '/id' } });
    const b = await createEndpoint({ url: helpdesk.url, eventTypes: ['disposition_updated'], ordering: 'per_call', orderingWindowMs: 0 });
    assert.deepEqual((await api('GET', `/v1/endpoints/${a.id}`)).body.capture, { caseId: '/id' });
    const callId = unique('call');

    const first = await send(kit.completedCall(callId));
    await waitForDelivery(`${first.id}~${a.id}`, 'delivered');
    const [created] = await crm.waitFor(1);
    assert.equal(verified(a.secret, created).data.context, undefined, 'nothing was captured before the case was made');

    const second = await send(dispositionOf(callId));
    const [later] = await helpdesk.waitFor(1);
    const payload = verified(b.secret, later);
    assert.equal(payload.id, second.id);
    assert.deepEqual(payload.data.context, { caseId: 'CASE-1042' });

    // Another call's event carries nothing of this one.
    const other = await send(dispositionOf(unique('call')));
    const [, unrelated] = await helpdesk.waitFor(2);
    assert.equal(verified(b.secret, unrelated).id, other.id);
    assert.equal(verified(b.secret, unrelated).data.context, undefined);

    assert.deepEqual(await callView(callId, 2), {
      callId,
      context: { caseId: 'CASE-1042' },
      events: [
        { id: first.id, type: 'call_completed', status: 'delivered' },
        { id: second.id, type: 'disposition_updated', status: 'delivered' },
      ],
    });
  });

  it('with ordering per_call, the event after the case-creating one waits for its delivery and carries the case id', async () => {
    // The case is made slowly; the next event is posted at once, long before the answer.
    const crm = await receiver((_r, i) => (i === 0 ? answer({ id: 'CASE-7' }, 300) : 200));
    const ep = await createEndpoint({ url: crm.url, ordering: 'per_call', capture: { caseId: '/id' } });
    const callId = unique('call');
    const first = await send(kit.completedCall(callId));
    const second = await send(dispositionOf(callId));
    const [one, two] = await crm.waitFor(2);
    assert.deepEqual([verified(ep.secret, one).id, verified(ep.secret, two).id], [first.id, second.id]);
    assert.equal(verified(ep.secret, one).data.context, undefined);
    assert.deepEqual(verified(ep.secret, two).data.context, { caseId: 'CASE-7' });
  });

  it('captures nothing from a non-JSON answer, one lacking the pointer, or a value over 256 characters, and delivers all the same', async () => {
    const answers = [
      { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK' },
      answer({ other: 'CASE-X' }),
      answer({ id: 'C'.repeat(300), n: 5 }),
    ];
    const crm = await receiver((_r, i) => answers[i] ?? 200);
    const ep = await createEndpoint({ url: crm.url, eventTypes: ['disposition_updated'], capture: { caseId: '/id', count: '/n' } });
    const callId = unique('call');
    const contexts: unknown[] = [];
    for (let i = 0; i < answers.length; i++) {
      const event = await send(dispositionOf(callId, `2026-11-29T10:00:0${i}Z`));
      const delivery = await waitForDelivery(`${event.id}~${ep.id}`, 'delivered');
      assert.equal(delivery.attempts.length, 1, 'one attempt: capturing nothing is not a failure');
      contexts.push((await callView(callId, i + 1)).context);
    }
    assert.deepEqual(contexts, [{}, {}, { count: 5 }]);
  });

  it('refuses bad capture rules, capture with batch, and a producer’s own data.context, with 400', async () => {
    const url = 'https://crm.example.com/hooks';
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`name${i}`, `/v${i}`]));
    const refused = [
      await api('POST', '/v1/endpoints', { url, capture: many }),
      await api('POST', '/v1/endpoints', { url, capture: { caseId: 'id' } }),
      await api('POST', '/v1/endpoints', { url, capture: { 'case-id': '/id' } }),
      await api('POST', '/v1/endpoints', { url, capture: { caseId: '/id' }, batch: { maxSize: 10, maxWaitMs: 1000 } }),
    ];
    for (const res of refused) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, /capture/);
    }
    const ep = await createEndpoint({ url });
    const patched = await api('PATCH', `/v1/endpoints/${ep.id}`, { capture: many });
    assert.equal(patched.status, 400);
    assert.match(patched.body.error.message, /at most 20 names/);

    const own = dispositionOf(unique('call'));
    const sent = await api('POST', '/v1/events', { ...own, data: { ...own.data, context: { caseId: 'FORGED' } } });
    assert.equal(sent.status, 400);
    assert.equal(sent.body.error.code, 'invalid_request');
    assert.deepEqual(sent.body.error.details, [{ path: 'data.context', message: 'unknown field' }]);
  });

  it('gives the context to every endpoint whose scope allows it, and the preview shows it', async () => {
    const crm = await receiver(() => answer({ case: { id: 'CASE-55' } }));
    const [excluding, including, plain] = await Promise.all([receiver(), receiver(), receiver()]);
    const a = await createEndpoint({ url: crm.url, eventTypes: ['call_completed'], capture: { caseId: '/case/id' } });
    const types = ['disposition_updated'];
    const c = await createEndpoint({ url: excluding.url, eventTypes: types, payloadScope: { exclude: ['context'] } });
    const d = await createEndpoint({ url: including.url, eventTypes: types, payloadScope: { include: ['disposition'] } });
    const e = await createEndpoint({ url: plain.url, eventTypes: types });
    const callId = unique('call');
    const first = await send(kit.completedCall(callId));
    await waitForDelivery(`${first.id}~${a.id}`, 'delivered');

    const later = dispositionOf(callId);
    await send(later);
    const [[gotC], [gotD], [gotE]] = await Promise.all([excluding.waitFor(1), including.waitFor(1), plain.waitFor(1)]);
    assert.equal(verified(c.secret, gotC).data.context, undefined, 'exclude: ["context"]');
    assert.deepEqual(verified(d.secret, gotD).data, { callId, disposition: 'booked' }, 'an include without context');
    assert.deepEqual(verified(e.secret, gotE).data.context, { caseId: 'CASE-55' });

    const preview = (id: string) => api('POST', `/v1/endpoints/${id}/preview`, later);
    assert.deepEqual((await preview(e.id)).body.body.data.context, { caseId: 'CASE-55' });
    assert.equal((await preview(c.id)).body.body.data.context, undefined);
  });

  it('gives each event of a batch its own call’s context', async () => {
    const crm = await receiver(() => answer({ id: 'CASE-B1' }));
    const warehouse = await receiver();
    const a = await createEndpoint({ url: crm.url, eventTypes: ['call_completed'], capture: { caseId: '/id' } });
    const batched = await createEndpoint({ url: warehouse.url, eventTypes: ['disposition_updated'], batch: { maxSize: 2, maxWaitMs: 10_000 } });
    const [withCase, without] = [unique('call'), unique('call')];
    const first = await send(kit.completedCall(withCase));
    await waitForDelivery(`${first.id}~${a.id}`, 'delivered');
    const ids = [(await send(dispositionOf(withCase))).id, (await send(dispositionOf(without))).id];
    const [got] = await warehouse.waitFor(1);
    const body = new Webhook(batched.secret).verify(got.body, got.headers as Record<string, string>) as { type: string; events: Payload[] };
    assert.equal(body.type, 'batch');
    const contextOf = (id: string) => body.events.find((e) => e.id === id)?.data.context;
    assert.deepEqual(contextOf(ids[0]), { caseId: 'CASE-B1' });
    assert.equal(body.events.some((e) => e.id === ids[1]), true);
    assert.equal(contextOf(ids[1]), undefined);
  });

  it('purges a call’s context with the attempt log’s retention, and GET /v1/calls/:callId then answers 404', async () => {
    const stale = unique('call-stale');
    await kit.stack.store.saveCallContext(stale, { caseId: 'CASE-OLD' }, new Date(Date.now() - 31 * 86_400_000));
    assert.deepEqual((await api('GET', `/v1/calls/${stale}`)).body, { callId: stale, context: { caseId: 'CASE-OLD' }, events: [] });
    const crm = await receiver(() => answer({ id: 'CASE-NEW' }));
    const ep = await createEndpoint({ url: crm.url, capture: { caseId: '/id' } });
    const fresh = unique('call');
    const event = await send(kit.completedCall(fresh));
    await waitForDelivery(`${event.id}~${ep.id}`, 'delivered');

    const purged = await kit.stack.client.workflow.execute<typeof purgeAttemptLog>('purgeAttemptLog', {
      taskQueue: kit.stack.taskQueue,
      workflowId: unique('purge'),
      args: [{ retentionDays: 30 }],
    });
    assert.ok(purged.callContext >= 1, JSON.stringify(purged));
    const gone = await api('GET', `/v1/calls/${stale}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'not_found');
    assert.deepEqual((await callView(fresh, 1)).context, { caseId: 'CASE-NEW' });
  });

  it('answers 404 for a call it knows nothing of, and 400 for a call id the listing cannot take', async () => {
    const unknown = await api('GET', `/v1/calls/${unique('call-none')}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    // A quote would end the visibility query's literal; Temporal refuses a NUL (an error that read as an outage).
    for (const callId of ["c'1", 'c\u00001']) {
      const refused = await api('GET', `/v1/calls/${encodeURIComponent(callId)}`);
      assert.equal(refused.status, 400, callId);
      assert.equal(refused.body.error.code, 'invalid_request');
    }
    assert.equal((await api('GET', '/healthz')).status, 200, 'Temporal still reads as reachable');
  });
});
