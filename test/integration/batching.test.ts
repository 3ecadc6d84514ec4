import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../src/domain/verify';
import { batcherPendingQuery, batcherWorkflowId, batchWorkflowId } from '../../workflows/contract';
import { BATCHES_PER_RUN } from '../../workflows/batcher';
import type { Received } from '../helpers/receiver';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call, eventually } from '../helpers/stack';

interface BatchBody {
  type: string;
  id: string;
  events: Array<{ id: string; type: string; timestamp: string; data: Record<string, unknown> }>;
}

describe('batching', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, send, delivery, waitForDelivery } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;
  const bodyOf = (q: Received) => JSON.parse(q.body) as BatchBody;

  it('sends a batch when it holds maxSize events, and the rest maxWaitMs after their first', async () => {
    const r = await receiver();
    const maxWaitMs = 4_000;
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), batch: { maxSize: 5, maxWaitMs } });
    const sentAt: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      sentAt.push(Date.now());
      ids.push((await send(completedCall(unique('call')))).id);
    }
    const [first, second, third] = await r.waitFor(3, 20_000);
    assert.deepEqual([first, second, third].map((q) => bodyOf(q).events.length), [5, 5, 2]);
    // The third batch opened when the 11th event reached the batcher, which was after the 11th send.
    assert.ok(third.at >= sentAt[10] + maxWaitMs - 100, `the last batch came ${third.at - sentAt[10]} ms after the 11th send`);
    assert.ok(second.at < sentAt[11] + maxWaitMs, 'the full batches did not wait for maxWaitMs');
    const delivered = [first, second, third].flatMap((q) => bodyOf(q).events.map((e) => e.id));
    assert.deepEqual([...delivered].sort(), [...ids].sort());
    // Each event's delivery shows its batch.
    const batchIds = new Set<string>();
    for (const id of ids) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.equal(d.attempts.length, 1);
      batchIds.add(d.batchId);
    }
    assert.deepEqual([...batchIds].sort(), [first, second, third].map((q) => q.headers['webhook-id']).sort());
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(r.requests.length, 3);
  });

  it('sends a lone event after maxWaitMs, not before', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 10, maxWaitMs: 2_000 } });
    const before = Date.now();
    const { id } = await send(completedCall(unique('call')));
    const [q] = await r.waitFor(1, 15_000);
    const waited = q.at - before;
    assert.ok(waited >= 1_950 && waited < 6_000, `sent after ${waited} ms`);
    assert.deepEqual(bodyOf(q).events.map((e) => e.id), [id]);
    await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
  });

  it('signs the batch like any request: webhook-id is the batch id, every signature of a rotation, each event scoped', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 2, maxWaitMs: 5_000 } });
    const rotated = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, { graceSeconds: 3_600 });
    assert.equal(rotated.status, 200);
    const a = await send(completedCall(unique('call')));
    const b = await send({ ...completedCall(unique('call')), type: 'call_completed' });
    const [q] = await r.waitFor(1, 15_000);
    const headers = q.headers as Record<string, string>;
    // Both the new and the previous secret verify it, with the Standard Webhooks library.
    const verified = new Webhook(rotated.body.secret).verify(q.body, headers) as BatchBody;
    new Webhook(ep.secret).verify(q.body, headers);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    assert.equal(verified.type, 'batch');
    assert.equal(verified.id, headers['webhook-id']);
    assert.match(verified.id, /^bat_/);
    assert.deepEqual(verified.events.map((e) => e.id).sort(), [a.id, b.id].sort());
    for (const e of verified.events) {
      assert.equal(e.type, 'call_completed');
      assert.equal(e.timestamp, '2026-11-29T10:00:05Z');
      assert.equal(typeof e.data.callId, 'string');
      // Sensitive fields stay out, as for a single event.
      assert.equal(e.data.summary, undefined);
      assert.equal(e.data.transcript, undefined);
    }
    const d = await waitForDelivery(deliveryOf(a.id, ep.id), 'delivered');
    assert.equal(d.batchId, verified.id);
    assert.equal(d.attempts[0].statusCode, 200);
  });

  it('signs an ed25519 endpoint batch with v1a', async () => {
    const r = await receiver();
    const res = await api('POST', '/v1/endpoints', {
      id: unique('ep'),
      url: r.url,
      signing: 'ed25519',
      batch: { maxSize: 1, maxWaitMs: 1_000 },
      filter: { 'data.metadata.test': kit.tag },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const { id } = await send(completedCall(unique('call')));
    const [q] = await r.waitFor(1, 15_000);
    const body = verifyWebhook({ payload: q.body, headers: q.headers, publicKey: res.body.publicKey }) as BatchBody;
    assert.match(String(q.headers['webhook-signature']), /^v1a,/);
    assert.deepEqual(body.events.map((e) => e.id), [id]);
  });

  it('retries a batch as a unit, sends it to review, and one resend delivers the whole batch', async () => {
    const r = await receiver(() => 500);
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(2), batch: { maxSize: 3, maxWaitMs: 5_000 } });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await send(completedCall(unique('call')))).id);
    const inReview = [];
    for (const id of ids) inReview.push(await waitForDelivery(deliveryOf(id, ep.id), 'awaiting_review'));
    assert.equal(r.requests.length, 2);
    const batchId = r.requests[0].headers['webhook-id'];
    assert.equal(r.requests[1].headers['webhook-id'], batchId);
    for (const q of r.requests) assert.equal(bodyOf(q).events.length, 3);
    for (const d of inReview) {
      assert.equal(d.batchId, batchId);
      assert.deepEqual(d.attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]), [[1, 500], [2, 500]]);
      assert.equal(d.reason, 'every attempt failed');
    }
    // The event's own status follows its delivery.
    assert.equal((await kit.eventStatus(ids[1])).status, 'awaiting_review');

    r.script(() => 200);
    const res = await api('POST', `/v1/deliveries/${deliveryOf(ids[0], ep.id)}/resend`, {});
    assert.equal(res.status, 202);
    assert.equal(res.body.mode, 'continued');
    for (const id of ids) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      assert.deepEqual(d.attempts.map((a: { statusCode: number }) => a.statusCode), [500, 500, 200]);
    }
    assert.equal(r.requests.length, 3);
    assert.equal(r.requests[2].headers['webhook-id'], batchId);
    assert.deepEqual(bodyOf(r.requests[2]).events.map((e) => e.id).sort(), [...ids].sort());
  });

  it('falls back as a unit, and expires as a unit', async () => {
    const primary = await receiver(() => 503);
    const fallback = await receiver(() => 200);
    const ep = await createEndpoint({ url: primary.url, fallbackUrl: fallback.url, retry: fastRetry(2), batch: { maxSize: 2, maxWaitMs: 5_000 } });
    const a = await send(completedCall(unique('call')));
    const b = await send(completedCall(unique('call')));
    for (const { id } of [a, b]) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered_fallback');
      assert.deepEqual(d.attempts.map((x: { target: string }) => x.target), ['primary', 'primary', 'fallback']);
    }
    assert.equal(fallback.requests.length, 1);
    assert.equal(bodyOf(fallback.requests[0]).events.length, 2);

    const dead = await receiver(() => 500);
    const ep2 = await createEndpoint({ url: dead.url, retry: fastRetry(1), reviewWindowMs: 1_000, batch: { maxSize: 2, maxWaitMs: 5_000 } });
    const c = await send(completedCall(unique('call')));
    const e = await send(completedCall(unique('call')));
    for (const { id } of [c, e]) {
      const d = await waitForDelivery(deliveryOf(id, ep2.id), 'expired', 20_000);
      assert.equal(d.attempts.length, 1);
    }
  });

  it('discards the whole batch from any of its deliveries', async () => {
    const r = await receiver(() => 400);
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(2), batch: { maxSize: 2, maxWaitMs: 5_000 } });
    const a = await send(completedCall(unique('call')));
    const b = await send(completedCall(unique('call')));
    await waitForDelivery(deliveryOf(a.id, ep.id), 'awaiting_review');
    await waitForDelivery(deliveryOf(b.id, ep.id), 'awaiting_review');
    assert.equal((await api('POST', `/v1/deliveries/${deliveryOf(b.id, ep.id)}/discard`, {})).status, 202);
    await waitForDelivery(deliveryOf(a.id, ep.id), 'discarded');
    await waitForDelivery(deliveryOf(b.id, ep.id), 'discarded');
    assert.equal(r.requests.length, 1);
  });

  it('closes a batch early at MAX_BATCH_BYTES, so it fits in Temporal payloads', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 10, maxWaitMs: 4_000 } });
    const big = () => completedCall(unique('call'), { summary: 'x'.repeat(200_000) });
    const sentAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      sentAt.push(Date.now());
      await send(big());
    }
    const [first, second] = await r.waitFor(2, 20_000);
    // 3 × 200 KB is past 512 KiB: two go at once, the third waits for maxWaitMs.
    assert.equal(bodyOf(first).events.length, 2);
    assert.ok(first.at - sentAt[0] < 3_500, `the first batch took ${first.at - sentAt[0]} ms`);
    assert.equal(bodyOf(second).events.length, 1);
    assert.ok(second.at >= sentAt[2] + 4_000 - 100, 'the rest waited for maxWaitMs');
    await waitForDelivery(deliveryOf(JSON.parse(first.body).events[0].id, ep.id), 'delivered');
  });

  it('sends a finished delivery again in a new batch when it is resent', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 1, maxWaitMs: 500 } });
    const { id } = await send(completedCall(unique('call')));
    const first = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    const res = await api('POST', `/v1/deliveries/${deliveryOf(id, ep.id)}/resend`, {});
    assert.equal(res.status, 202);
    const [, again] = await r.waitFor(2, 15_000);
    assert.deepEqual(bodyOf(again).events.map((e) => e.id), [id]);
    assert.notEqual(again.headers['webhook-id'], first.batchId);
    const d = await eventually(async () => {
      const now = await delivery(deliveryOf(id, ep.id));
      return now.status === 'delivered' && now.batchId !== first.batchId ? now : undefined;
    }, 15_000, 'the resent delivery');
    assert.equal(d.batchId, again.headers['webhook-id']);
    assert.deepEqual(d.attempts.map((a: { attempt: number }) => a.attempt), [1, 2]);
  });

  it('hands an event over again when its batcher was lost before sending it', async function () {
    this.timeout(120_000);
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 10, maxWaitMs: 3_000 } });
    const { id } = await send(completedCall(unique('call')));
    const handle = kit.stack.client.workflow.getHandle(batcherWorkflowId(ep.id));
    await eventually(async () => (await handle.query(batcherPendingQuery).catch(() => undefined))?.pending === 1, 2_500, 'the batcher to hold the event');
    await handle.terminate('lost, for the test');
    assert.equal((await delivery(deliveryOf(id, ep.id))).status, 'pending');
    // 30 s + 2 × maxWaitMs later the event hands itself over again; its new batch goes maxWaitMs after.
    const [q] = await r.waitFor(1, 60_000);
    assert.deepEqual(bodyOf(q).events.map((e) => e.id), [id]);
    const d = await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
    assert.equal(d.batchId, q.headers['webhook-id']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(r.requests.length, 1);
  });

  it('keeps the batcher history bounded across many batches by continuing as new', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, batch: { maxSize: 1, maxWaitMs: 50 } });
    const batches = 3 * BATCHES_PER_RUN;
    const ids = await Promise.all(Array.from({ length: batches }, async () => (await send(completedCall(unique('call')))).id));
    await r.waitFor(batches, 60_000);
    assert.equal(new Set(r.requests.map((q) => q.headers['webhook-id'])).size, batches);
    for (const id of ids) await waitForDelivery(deliveryOf(id, ep.id), 'delivered');

    const workflowId = batcherWorkflowId(ep.id);
    const handle = kit.stack.client.workflow.getHandle(workflowId);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    const { sent, pending } = await handle.query(batcherPendingQuery);
    assert.equal(sent, batches, 'the count of batches carried across runs');
    assert.equal(pending, 0);
    const runs = await eventually(async () => {
      const list = [];
      for await (const wf of kit.stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) list.push(wf);
      return list.filter((w) => w.status.name === 'CONTINUED_AS_NEW').length >= 3 ? list : undefined;
    }, 15_000, 'the batcher to have continued as new');
    // Every run's history stays small: a run of 10 batches is 70 to 100 events; 30 batches in one run would be about 240.
    const lengths = await Promise.all(runs.map(async (w) => (await kit.stack.client.workflow.getHandle(workflowId, w.runId).describe()).historyLength));
    assert.ok(Math.max(...lengths) < 150, `history lengths ${lengths.join(', ')}`);
    const one = await delivery(deliveryOf(ids[0], ep.id));
    assert.match(one.batchId, /^bat_/);
  });

  it('shows a batch waiting under its endpoint rate limit as throttled, on each of its events', async () => {
    const r = await receiver();
    // Batches fill by size (2); the wait is long only so a slow machine posting the events cannot split one.
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(3), batch: { maxSize: 2, maxWaitMs: 2_000 }, rateLimit: { perSecond: 0.5, burst: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await send(completedCall(unique('call')))).id);
    // One request every two seconds: the later batches wait, and their events say so.
    const seen = await eventually(async () => {
      for (const id of ids) {
        const d = await delivery(deliveryOf(id, ep.id));
        if (d?.status === 'throttled') return d;
      }
      return undefined;
    }, 15_000, 'a throttled batched delivery');
    assert.match(seen.batchId, /^bat_/);
    assert.match(seen.reason, /rate or concurrency limit/);
    const got = await r.waitFor(3, 30_000);
    assert.deepEqual(got.map((q) => bodyOf(q).events.length), [2, 2, 2]);
    assert.ok(got[2].at - got[0].at >= 3_000, `three batches within ${got[2].at - got[0].at} ms at 0.5/s`);
    // A throttle is not an attempt.
    for (const id of ids) assert.equal((await waitForDelivery(deliveryOf(id, ep.id), 'delivered')).attempts.length, 1);
  });

  it('sends a batch holding an urgent escalation at once, and on the priority lane', async () => {
    const r = await receiver();
    const ep = await createEndpoint({
      url: r.url,
      eventTypes: ['call_completed', 'escalation_requested'],
      batch: { maxSize: 10, maxWaitMs: 30_000 },
    });
    const routine = (await send(completedCall(unique('call')))).id;
    const batcher = kit.stack.client.workflow.getHandle(batcherWorkflowId(ep.id));
    await eventually(async () => (await batcher.query(batcherPendingQuery).catch(() => undefined))?.pending === 1, 10_000, 'the routine event in the batcher');
    const before = Date.now();
    const escalation = await send({
      type: 'escalation_requested',
      data: { callId: unique('call'), priority: 'urgent', reasonCode: 'caller_requested_human', metadata: { test: kit.tag } },
    });
    const [q] = await r.waitFor(1, 10_000);
    assert.ok(q.at - before < 5_000, `the urgent batch went ${q.at - before} ms after the escalation, not after maxWaitMs`);
    assert.deepEqual(bodyOf(q).events.map((e) => e.id).sort(), [routine, escalation.id].sort());
    const history = await kit.stack.client.workflow.getHandle(batchWorkflowId(String(q.headers['webhook-id']))).fetchHistory();
    assert.equal(history.events?.[0].workflowExecutionStartedEventAttributes?.priority?.priorityKey, 1);
  });

  it('runs the batches of a priority endpoint on the priority lane, and of others not', async () => {
    const r = await receiver();
    const high = await createEndpoint({ url: r.url, priority: 'high', batch: { maxSize: 1, maxWaitMs: 50 } });
    const routine = await createEndpoint({ url: r.url, batch: { maxSize: 1, maxWaitMs: 50 } });
    const { id } = await send(completedCall(unique('call')));
    const keyOf = async (endpointId: string) => {
      const d = await waitForDelivery(deliveryOf(id, endpointId), 'delivered');
      const history = await kit.stack.client.workflow.getHandle(batchWorkflowId(d.batchId)).fetchHistory();
      return history.events?.[0].workflowExecutionStartedEventAttributes?.priority?.priorityKey ?? 0;
    };
    assert.equal(await keyOf(high.id), 1);
    assert.equal(await keyOf(routine.id), 0);
  });

  it('orders per call across batches: a batch carries one event of a call, in occurredAt order', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', orderingWindowMs: 1_500, batch: { maxSize: 10, maxWaitMs: 300 } });
    const a = unique('call');
    const b = unique('call');
    const at = (i: number) => new Date(Date.parse('2026-11-29T10:00:00Z') + i * 1_000).toISOString();
    const events = [a, b].flatMap((callId) => [3, 1, 2, 0].map((i) => ({ ...completedCall(callId), occurredAt: at(i) })));
    for (const e of events) await send(e);
    await eventually(async () => r.requests.flatMap((q) => bodyOf(q).events).length === 8, 30_000, 'all eight events');
    const batches = r.requests.map((q) => bodyOf(q).events);
    for (const batch of batches) {
      const calls = batch.map((e) => e.data.callId);
      assert.equal(new Set(calls).size, calls.length, 'at most one event of a call per batch');
    }
    for (const callId of [a, b]) {
      const times = batches.flat().filter((e) => e.data.callId === callId).map((e) => e.timestamp);
      assert.deepEqual(times, [0, 1, 2, 3].map(at), `call ${callId} in occurredAt order`);
    }
    // The calls went side by side: some batch carried both.
    assert.ok(batches.some((batch) => batch.length === 2), `batch sizes ${batches.map((x) => x.length).join(',')}`);
  });
});
