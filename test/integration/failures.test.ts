import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { ensurePurgeSchedule, PURGE_SCHEDULE_ID } from '../../src/temporal/schedules';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call, eventually } from '../helpers/stack';

const OPERATIONAL = ['delivery_exhausted', 'delivery_recovered', 'endpoint_disabled', 'endpoint_enabled'];

describe('when endpoints fail', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, send, waitForStatus, delivery, waitForDelivery } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;

  /** An endpoint subscribed to the operational events about one endpoint. */
  async function opsSubscriber(aboutEndpointId: string) {
    const r = await receiver();
    const res = await api('POST', '/v1/endpoints', {
      id: unique('ops'),
      url: r.url,
      eventTypes: OPERATIONAL,
      filter: { 'data.endpointId': aboutEndpointId },
    });
    assert.equal(res.status, 201);
    const types = () => r.requests.map((q) => JSON.parse(q.body).type as string);
    return { r, secret: res.body.secret as string, types };
  }

  describe('classifying each attempt', () => {
    for (const status of [400, 401, 404, 422, 302]) {
      it(`does not retry ${status}: it goes straight to review`, async () => {
        const headers: Record<string, string> = status === 302 ? { location: 'http://127.0.0.1:1/elsewhere' } : {};
        const r = await receiver(() => ({ status, headers }));
        const ep = await createEndpoint({ url: r.url, retry: fastRetry(5) });
        const { id } = await send(completedCall(unique('call')));
        const d = await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review');
        assert.equal(r.requests.length, 1);
        assert.equal(d.attempts.length, 1);
        assert.equal(d.attempts[0].statusCode, status);
        assert.equal(d.attempts[0].failure, 'http');
        assert.match(d.reason, /refused/);
      });
    }

    for (const status of [408, 425, 429, 500, 503]) {
      it(`retries ${status}`, async () => {
        const r = await receiver((_q, i) => (i < 2 ? status : 200));
        const ep = await createEndpoint({ url: r.url, retry: fastRetry(5) });
        const { id } = await send(completedCall(unique('call')));
        const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
        assert.deepEqual(d.attempts.map((a: { statusCode: number }) => a.statusCode), [status, status, 200]);
      });
    }

    it('retries 4xx too when the endpoint sets retryAllErrors', async () => {
      const r = await receiver((_q, i) => (i < 2 ? 400 : 200));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(5, { retryAllErrors: true }) });
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.equal(r.requests.length, 3);
    });

    it('skips to the fallback on a non-retryable answer', async () => {
      const primary = await receiver(() => 400);
      const fallback = await receiver(() => 200);
      const ep = await createEndpoint({ url: primary.url, fallbackUrl: fallback.url, retry: fastRetry(5) });
      const { id } = await send(completedCall(unique('call')));
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered_fallback');
      assert.equal(primary.requests.length, 1);
      assert.deepEqual(d.attempts.map((a: { target: string }) => a.target), ['primary', 'fallback']);
    });

    it('retries a refused connection and logs it as connect', async () => {
      const gone = await receiver();
      const url = gone.url;
      await gone.close();
      const ep = await createEndpoint({ url, retry: fastRetry(2) });
      const { id } = await send(completedCall(unique('call')));
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review');
      assert.deepEqual(d.attempts.map((a: { failure: string }) => a.failure), ['connect', 'connect']);
      assert.equal(d.attempts[0].statusCode, undefined);
    });

    it('cuts an attempt at attemptTimeoutMs and retries it as a timeout', async () => {
      const r = await receiver((_q, i) => (i === 0 ? { status: 200, delayMs: 3_000 } : 200));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(3, { attemptTimeoutMs: 300 }) });
      const { id } = await send(completedCall(unique('call')));
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.equal(d.attempts[0].failure, 'timeout');
      assert.ok(d.attempts[0].durationMs >= 250 && d.attempts[0].durationMs < 2_000, `took ${d.attempts[0].durationMs} ms`);
      assert.equal(d.attempts[1].statusCode, 200);
    });
  });

  describe('Retry-After', () => {
    const gapMs = (times: number[]) => times[1] - times[0];

    it('waits the seconds a 429 asks for', async () => {
      const r = await receiver((_q, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : 200));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(3, { maxIntervalMs: 10_000 }) });
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      const gap = gapMs(r.requests.map((q) => q.at));
      assert.ok(gap >= 1_900 && gap < 5_000, `gap ${gap} ms`);
    });

    it('waits until the HTTP date a 503 names, inside Temporal retries too', async () => {
      const at = () => new Date(Date.now() + 2_500).toUTCString();
      const r = await receiver((_q, i) => (i < 2 ? { status: 503, headers: { 'retry-after': at() } } : 200));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(4, { maxIntervalMs: 10_000 }) });
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered', 40_000);
      const times = r.requests.map((q) => q.at);
      // HTTP dates have whole seconds: 2.5 s ahead is at least 1.5 s.
      for (const gap of [times[1] - times[0], times[2] - times[1]]) assert.ok(gap >= 1_400 && gap < 6_000, `gap ${gap} ms`);
    });

    it('clamps Retry-After to maxIntervalMs', async () => {
      const r = await receiver((_q, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : 200));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(3, { maxIntervalMs: 500 }) });
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      const gap = gapMs(r.requests.map((q) => q.at));
      assert.ok(gap >= 400 && gap < 3_000, `gap ${gap} ms`);
    });
  });

  it('takes an edited url at the next attempt', async () => {
    const old = await receiver(() => 500);
    const fresh = await receiver(() => 200);
    const ep = await createEndpoint({ url: old.url, retry: fastRetry(10, { initialIntervalMs: 700, maxIntervalMs: 700 }) });
    const { id } = await send(completedCall(unique('call')));
    await old.waitFor(1);
    assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { url: fresh.url })).status, 200);
    const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    assert.equal(fresh.requests.length, 1);
    assert.equal(d.attempts.at(-1).url, fresh.url);
    assert.ok(old.requests.length <= 2);
  });

  it('keeps an attempt log: oldest first, with target, timing, status, failure class and body', async () => {
    const r = await receiver((_q, i) => (i === 0 ? { status: 500, body: 'x'.repeat(10_000) } : { status: 200, body: 'thanks' }));
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3) });
    const { id } = await send(completedCall(unique('call')));
    const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    assert.equal(d.id, deliveryOf(id, ep.id));
    assert.equal(d.eventId, id);
    assert.equal(d.endpointId, ep.id);
    assert.equal(d.attempts.length, 2);
    const [first, second] = d.attempts;
    assert.deepEqual(
      { attempt: first.attempt, target: first.target, url: first.url, statusCode: first.statusCode, failure: first.failure },
      { attempt: 1, target: 'primary', url: r.url, statusCode: 500, failure: 'http' },
    );
    assert.equal(first.responseBody.length, 4096);
    assert.ok(Date.parse(first.startedAt) <= Date.parse(second.startedAt));
    assert.equal(typeof first.durationMs, 'number');
    assert.deepEqual({ attempt: second.attempt, statusCode: second.statusCode, responseBody: second.responseBody }, { attempt: 2, statusCode: 200, responseBody: 'thanks' });
    assert.equal(second.failure, undefined);
  });

  describe('resend in every state', () => {
    it('redelivers a delivered delivery in a new run: same webhook-id, a fresh series, attempt numbers go on', async () => {
      const r = await receiver();
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(3) });
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      const runs = async () => {
        const list = [];
        for await (const wf of kit.stack.client.workflow.list({ query: `WorkflowId = 'event-${id}'` })) list.push(wf.runId);
        return list;
      };
      const res = await api('POST', `/v1/deliveries/${deliveryOf(id, ep.id)}/resend`, {});
      assert.equal(res.status, 202);
      assert.equal(res.body.mode, 'restarted');
      const [, again] = await r.waitFor(2);
      assert.equal(again.headers['webhook-id'], id);
      new Webhook(ep.secret).verify(again.body, again.headers as Record<string, string>);
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.deepEqual(d.attempts.map((a: { attempt: number }) => a.attempt), [1, 2]);
      assert.equal((await eventually(async () => ((await runs()).length === 2 ? true : undefined), 10_000, 'two runs')), true);
      // The event is still known, once: a replayed POST stays a duplicate.
      const replay = await api('POST', '/v1/events', { ...completedCall('x'), id });
      assert.equal(replay.status, 200);
    });

    it('continues a delivery awaiting review in its own workflow, and redelivers a discarded one', async () => {
      const r = await receiver(() => 500);
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(1) });
      const { id } = await send(completedCall(unique('call')));
      const dId = deliveryOf(id, ep.id);
      await waitForDelivery(dId, 'awaiting_review');
      assert.equal((await api('POST', `/v1/deliveries/${dId}/resend`, {})).body.mode, 'continued');
      await waitForDelivery(dId, 'awaiting_review');
      await eventually(async () => r.requests.length === 2, 10_000, 'second attempt');
      assert.equal((await api('POST', `/v1/deliveries/${dId}/discard`, {})).status, 202);
      await waitForDelivery(dId, 'discarded');
      r.script(() => 200);
      const res = await api('POST', `/v1/deliveries/${dId}/resend`, {});
      assert.equal(res.body.mode, 'restarted');
      const d = await waitForDelivery(dId, 'delivered');
      assert.equal(d.attempts.length, 3);
    });

    it('redelivers an expired delivery, to a one-off url', async () => {
      const r = await receiver(() => 500);
      const other = await receiver(() => 200);
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(1), reviewWindowMs: 1_000 });
      const { id } = await send(completedCall(unique('call')));
      const dId = deliveryOf(id, ep.id);
      const expired = await waitForDelivery(dId, 'expired');
      assert.match(expired.reason, /review window/);
      const res = await api('POST', `/v1/deliveries/${dId}/resend`, { url: other.url });
      assert.equal(res.status, 202);
      await waitForDelivery(dId, 'delivered');
      assert.equal(other.requests.length, 1);
      assert.equal(r.requests.length, 1);
    });

    it('refuses to resend a delivery still in progress, and to discard a delivered one', async () => {
      const r = await receiver(() => ({ status: 200, delayMs: 1_500 }));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(1) });
      const { id } = await send(completedCall(unique('call')));
      await r.waitFor(1);
      const busy = await api('POST', `/v1/deliveries/${deliveryOf(id, ep.id)}/resend`, {});
      assert.equal(busy.status, 409);
      assert.equal(busy.body.error.code, 'delivery_state_conflict');
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.equal((await api('POST', `/v1/deliveries/${deliveryOf(id, ep.id)}/discard`, {})).status, 409);
    });
  });

  it('recovers a window of deliveries awaiting review as a job with progress', async () => {
    const r = await receiver(() => 500);
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(1) });
    const since = new Date(Date.now() - 1_000).toISOString();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await send(completedCall(unique('call')))).id);
    for (const id of ids) await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review');
    r.script(() => 200);
    // Visibility is eventually consistent: wait until the listing shows all three.
    await eventually(async () => {
      const list = await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=awaiting_review`);
      return list.body.data.length === 3;
    }, 15_000, 'visibility');
    const started = await api('POST', `/v1/endpoints/${ep.id}/recover`, { since });
    assert.equal(started.status, 202);
    const job = await eventually(async () => {
      const p = await api('GET', `/v1/jobs/${started.body.jobId}`);
      return p.body.status === 'completed' ? p.body : undefined;
    }, 30_000, 'job');
    assert.deepEqual({ total: job.total, done: job.done, failed: job.failed }, { total: 3, done: 3, failed: 0 });
    for (const id of ids) await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    assert.equal(r.requests.length, 6);
    assert.equal((await api('GET', '/v1/jobs/job-unknown')).status, 404);
  });

  it('lists deliveries from visibility, by endpoint, status and call, newest first, with a cursor', async () => {
    const r = await receiver(() => 200);
    const ep = await createEndpoint({ url: r.url });
    const callId = unique('call');
    const first = await send(completedCall(callId));
    const second = await send(completedCall(unique('call')));
    await waitForDelivery(deliveryOf(first.id, ep.id), 'delivered');
    await waitForDelivery(deliveryOf(second.id, ep.id), 'delivered');
    const all = await eventually(async () => {
      const list = await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=delivered`);
      return list.body.data.length === 2 ? list.body : undefined;
    }, 15_000, 'visibility');
    assert.deepEqual(all.data.map((d: { eventId: string }) => d.eventId), [second.id, first.id]);
    assert.deepEqual(Object.keys(all.data[0]).sort(), ['attempts', 'createdAt', 'endpointId', 'eventId', 'eventType', 'id', 'status']);
    assert.equal(all.data[0].attempts, 1);
    const byCall = await api('GET', `/v1/deliveries?callId=${callId}`);
    assert.deepEqual(byCall.body.data.map((d: { id: string }) => d.id), [deliveryOf(first.id, ep.id)]);
    const page1 = await api('GET', `/v1/deliveries?endpointId=${ep.id}&limit=1`);
    assert.equal(page1.body.data.length, 1);
    assert.ok(page1.body.nextCursor);
    const page2 = await api('GET', `/v1/deliveries?endpointId=${ep.id}&limit=1&cursor=${page1.body.nextCursor}`);
    assert.equal(page2.body.data.length, 1);
    assert.notEqual(page2.body.data[0].id, page1.body.data[0].id);
    assert.equal((await api('GET', `/v1/deliveries?status=nope`)).status, 400);
    assert.equal((await api('GET', `/v1/deliveries?callId=a'b`)).status, 400);
  });

  describe('endpoints that keep failing', () => {
    it('auto-disables an endpoint, holds its deliveries and new ones, and releases them when enabled', async () => {
      const r = await receiver(() => 500);
      const ep = await createEndpoint({
        url: r.url,
        autoDisableAfterMs: 1_000,
        retry: fastRetry(50, { initialIntervalMs: 200, maxIntervalMs: 200 }),
      });
      const ops = await opsSubscriber(ep.id);
      const { id } = await send(completedCall(unique('call')));
      const held = await waitForDelivery(deliveryOf(id, ep.id), 'held', 20_000);
      assert.match(held.reason, /every attempt failed since/);
      const endpoint = (await api('GET', `/v1/endpoints/${ep.id}`)).body;
      assert.equal(endpoint.disabled, true);
      assert.match(endpoint.disabledReason, /every attempt failed since/);
      const attemptsWhenHeld = r.requests.length;

      // A new event for the disabled endpoint waits too, and is not attempted.
      const later = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(later.id, ep.id), 'held');
      assert.equal(r.requests.length, attemptsWhenHeld);

      r.script(() => 200);
      assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { disabled: false })).status, 200);
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      await waitForDelivery(deliveryOf(later.id, ep.id), 'delivered');
      const enabled = (await api('GET', `/v1/endpoints/${ep.id}`)).body;
      assert.equal(enabled.disabled, false);
      assert.equal(enabled.disabledReason, undefined);

      await eventually(async () => ops.types().includes('endpoint_enabled'), 20_000, 'endpoint_enabled');
      const disabledEvent = JSON.parse(ops.r.requests.find((q) => JSON.parse(q.body).type === 'endpoint_disabled')!.body);
      assert.equal(disabledEvent.data.endpointId, ep.id);
      assert.match(disabledEvent.data.reason, /every attempt failed/);
      for (const q of ops.r.requests) new Webhook(ops.secret).verify(q.body, q.headers as Record<string, string>);
    });

    it('discards held deliveries, with the reason, when the endpoint is deleted', async () => {
      const r = await receiver(() => 200);
      const ep = await createEndpoint({ url: r.url });
      assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { disabled: true })).status, 200);
      const { id } = await send(completedCall(unique('call')));
      await waitForDelivery(deliveryOf(id, ep.id), 'held');
      await eventually(async () => (await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=held`)).body.data.length === 1, 15_000, 'visibility');
      assert.equal((await api('DELETE', `/v1/endpoints/${ep.id}`)).status, 204);
      const done = await waitForStatus(id, 'discarded');
      assert.equal(done.deliveries[0].reason, 'the endpoint was deleted');
      assert.equal(r.requests.length, 0);
    });

    it('disables the endpoint on 410 Gone and sends the delivery to review', async () => {
      const r = await receiver(() => 410);
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(5) });
      const ops = await opsSubscriber(ep.id);
      const { id } = await send(completedCall(unique('call')));
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review');
      assert.match(d.reason, /410 Gone/);
      assert.equal(r.requests.length, 1);
      const endpoint = (await api('GET', `/v1/endpoints/${ep.id}`)).body;
      assert.equal(endpoint.disabled, true);
      assert.match(endpoint.disabledReason, /410/);
      await eventually(async () => ops.types().includes('endpoint_disabled'), 20_000, 'endpoint_disabled');
    });
  });

  it('emits delivery_exhausted and delivery_recovered, with ids and statuses but no payload', async () => {
    const r = await receiver(() => 500);
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(1) });
    const ops = await opsSubscriber(ep.id);
    const { id } = await send(completedCall(unique('call')));
    await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review');
    await eventually(async () => ops.types().includes('delivery_exhausted'), 20_000, 'delivery_exhausted');
    r.script(() => 200);
    await api('POST', `/v1/deliveries/${deliveryOf(id, ep.id)}/resend`, {});
    await eventually(async () => ops.types().includes('delivery_recovered'), 20_000, 'delivery_recovered');
    const bodies = ops.r.requests.map((q) => JSON.parse(q.body));
    const exhausted = bodies.find((b) => b.type === 'delivery_exhausted');
    assert.deepEqual(
      { deliveryId: exhausted.data.deliveryId, eventId: exhausted.data.eventId, endpointId: exhausted.data.endpointId, status: exhausted.data.status },
      { deliveryId: deliveryOf(id, ep.id), eventId: id, endpointId: ep.id, status: 'awaiting_review' },
    );
    assert.equal(bodies.find((b) => b.type === 'delivery_recovered').data.status, 'delivered');
    for (const body of bodies) {
      for (const field of ['summary', 'transcript', 'extracted', 'disposition']) assert.equal(field in body.data, false, field);
    }
  });

  it('purges old attempt-log rows from a Temporal Schedule', async () => {
    const { store, client, taskQueue } = kit.stack;
    const oldId = `${unique('old')}~ep-old`;
    const freshId = `${unique('fresh')}~ep-fresh`;
    const row = { attempt: 1, target: 'primary' as const, url: 'https://x.example/h', durationMs: 5, statusCode: 500 };
    await store.recordAttempt({ ...row, deliveryId: oldId, startedAt: new Date(Date.now() - 31 * 86_400_000).toISOString() });
    await store.recordAttempt({ ...row, deliveryId: freshId, startedAt: new Date().toISOString() });
    await ensurePurgeSchedule(client, taskQueue, 30);
    const schedule = client.schedule.getHandle(PURGE_SCHEDULE_ID);
    const described = await schedule.describe();
    assert.equal(described.action.type, 'startWorkflow');
    await schedule.trigger();
    await eventually(async () => (await store.listAttempts(oldId)).length === 0, 20_000, 'purge');
    assert.equal((await store.listAttempts(freshId)).length, 1);
  });
});
