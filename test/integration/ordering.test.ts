import assert from 'node:assert/strict';
import { sequenceViewQuery } from '../../workflows/contract';
import { sequencerIdForCall } from '../../src/temporal/sequences';
import type { Received } from '../helpers/receiver';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call, eventually } from '../helpers/stack';

const TYPES = ['call_started', 'call_completed', 'disposition_updated', 'case_created'] as const;

describe('ordering per call', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, send, waitForDelivery, waitForStatus } = kit;
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;
  const parsed = (q: Received) => JSON.parse(q.body) as { id: string; type: string; timestamp: string; outOfOrder?: boolean; data: { callId: string } };

  /** The four events of one call, `stepMs` apart from `base`, in the order they occurred. */
  function callEvents(callId: string, base = Date.parse('2026-11-29T10:00:00Z'), stepMs = 1_000) {
    const metadata = { test: kit.tag };
    const at = (i: number) => new Date(base + i * stepMs).toISOString();
    return [
      { type: 'call_started', occurredAt: at(0), data: { callId, metadata, direction: 'inbound', from: '+15550100', to: '+15550199', startedAt: at(0) } },
      kit.completedCall(callId, { startedAt: at(0), endedAt: at(1) }),
      { type: 'disposition_updated', occurredAt: at(2), data: { callId, metadata, disposition: 'booked', previousDisposition: 'qualified' } },
      { type: 'case_created', occurredAt: at(3), data: { callId, metadata, caseId: 'C-17', category: 'sales' } },
    ].map((e, i) => ({ ...e, occurredAt: at(i) }));
  }

  /** A random order of 0..n-1 that is never the identity, so arriving sorted proves reordering. */
  function shuffled(n: number): number[] {
    for (;;) {
      const order = [...Array(n).keys()];
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      if (order.some((v, i) => v !== i)) return order;
    }
  }

  /** Posts events one after another, as fast as the API answers (well within ~100 ms for four). */
  async function post(events: Array<Record<string, unknown>>): Promise<string[]> {
    const ids: string[] = [];
    for (const e of events) ids.push((await send(e)).id);
    return ids;
  }

  it('delivers the events of a call in occurredAt order, one at a time, whatever order they arrive in', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 150 }));
    // A window wide enough for the whole burst, even on a busy machine.
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(3), orderingWindowMs: 2_500 });
    assert.equal((await api('GET', `/v1/endpoints/${ep.id}`)).body.ordering, 'per_call');
    const callId = unique('call');
    const events = callEvents(callId);
    const order = shuffled(events.length);
    const started = Date.now();
    await post(order.map((i) => events[i]));
    // The premise: the burst fits in the window (else late ones are rightly flagged outOfOrder instead).
    assert.ok(Date.now() - started < 2_000, `posting took ${Date.now() - started} ms`);
    const got = await r.waitFor(4, 30_000);
    assert.deepEqual(got.map((q) => parsed(q).type), [...TYPES], `posted in order ${order.join(',')}`);
    assert.ok(got.every((q) => parsed(q).outOfOrder === undefined));
    // One at a time: each request comes only after the one before was answered (150 ms).
    for (let i = 1; i < got.length; i++) assert.ok(got[i].at - got[i - 1].at >= 140, `gap ${got[i].at - got[i - 1].at} ms`);
  });

  it('keeps different calls in parallel: a second call is delivered between the first call\'s events', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(3), orderingWindowMs: 2_500 });
    const a = callEvents(unique('call-a'));
    const b = callEvents(unique('call-b'));
    const oa = shuffled(4);
    const ob = shuffled(4);
    // Interleaved: a, b, a, b, …, each call in its own shuffled order.
    await post(oa.flatMap((ia, k) => [a[ia], b[ob[k]]]));
    const got = (await r.waitFor(8, 30_000)).map((q) => ({ ...parsed(q), at: q.at }));
    const ofCall = (callId: string) => got.filter((e) => e.data.callId === callId);
    const gotA = ofCall(a[0].data.callId as string);
    const gotB = ofCall(b[0].data.callId as string);
    assert.deepEqual(gotA.map((e) => e.type), [...TYPES]);
    assert.deepEqual(gotB.map((e) => e.type), [...TYPES]);
    // Not serialised globally: some event of call b arrives between the first and last of call a.
    const [firstA, lastA] = [gotA[0].at, gotA.at(-1)!.at];
    assert.ok(gotB.some((e) => e.at > firstA && e.at < lastA), 'no event of call b arrived while call a was being delivered');
    // Each call alone is one at a time (300 ms answers).
    for (const list of [gotA, gotB]) for (let i = 1; i < list.length; i++) assert.ok(list[i].at - list[i - 1].at >= 290);
  });

  it('blocks the later events of a call while an earlier one is in review; a discard releases them in order', async () => {
    const r = await receiver((q) => (parsed(q).type === 'call_completed' ? 500 : 200));
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(1), orderingWindowMs: 1_500 });
    const events = callEvents(unique('call'));
    const ids = await post(events);
    const [started, completed, disposition, kase] = ids;
    await waitForDelivery(deliveryOf(started, ep.id), 'delivered');
    await waitForDelivery(deliveryOf(completed, ep.id), 'awaiting_review');
    for (const id of [disposition, kase]) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'blocked');
      assert.match(d.reason, new RegExp(`event ${completed} \\(call_completed\\)`));
      assert.match(d.reason, /awaits review/);
      assert.equal((await waitForStatus(id, 'blocked')).deliveries[0].status, 'blocked');
    }
    // Listed by status too (visibility is eventually consistent).
    await eventually(async () => {
      const list = await api('GET', `/v1/deliveries?endpointId=${ep.id}&status=blocked`);
      return list.body.data.length === 2;
    }, 15_000, 'two blocked deliveries listed');
    assert.deepEqual(r.requests.map((q) => parsed(q).type), ['call_started', 'call_completed']);

    assert.equal((await api('POST', `/v1/deliveries/${deliveryOf(completed, ep.id)}/discard`, {})).status, 202);
    await waitForDelivery(deliveryOf(completed, ep.id), 'discarded');
    await waitForDelivery(deliveryOf(kase, ep.id), 'delivered');
    await waitForDelivery(deliveryOf(disposition, ep.id), 'delivered');
    assert.deepEqual(r.requests.map((q) => parsed(q).type), [...TYPES]);
  });

  it('keeps them blocked through a failed resend, and a successful resend releases them in order', async () => {
    const r = await receiver((q) => (parsed(q).type === 'call_completed' ? 500 : 200));
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(1), orderingWindowMs: 1_500 });
    const ids = await post(callEvents(unique('call')));
    const [, completed, disposition, kase] = ids;
    const completedId = deliveryOf(completed, ep.id);
    await waitForDelivery(completedId, 'awaiting_review');
    await waitForDelivery(deliveryOf(kase, ep.id), 'blocked');
    // A resend that fails again: back in review, the others still blocked and not sent.
    assert.equal((await api('POST', `/v1/deliveries/${completedId}/resend`, {})).status, 202);
    await eventually(async () => r.requests.length === 3, 10_000, 'the resend attempt');
    await waitForDelivery(completedId, 'awaiting_review');
    await waitForDelivery(deliveryOf(disposition, ep.id), 'blocked');
    await waitForDelivery(deliveryOf(kase, ep.id), 'blocked');
    assert.equal(r.requests.length, 3);

    r.script(() => 200);
    assert.equal((await api('POST', `/v1/deliveries/${completedId}/resend`, {})).status, 202);
    await waitForDelivery(deliveryOf(kase, ep.id), 'delivered');
    assert.deepEqual(r.requests.map((q) => parsed(q).type), ['call_started', 'call_completed', 'call_completed', 'call_completed', 'disposition_updated', 'case_created']);
  });

  it('flags an event that arrives after a later one of its call was sent: outOfOrder, not reordered', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(3), orderingWindowMs: 200 });
    const [started, completed, disposition] = callEvents(unique('call'));
    const [completedId] = await post([completed]);
    await waitForDelivery(deliveryOf(completedId, ep.id), 'delivered');
    const [startedId] = await post([started]);
    await waitForDelivery(deliveryOf(startedId, ep.id), 'delivered');
    const [dispositionId] = await post([disposition]);
    await waitForDelivery(deliveryOf(dispositionId, ep.id), 'delivered');
    const bodies = r.requests.map(parsed);
    assert.deepEqual(bodies.map((b) => b.type), ['call_completed', 'call_started', 'disposition_updated']);
    assert.equal(bodies[0].outOfOrder, undefined);
    assert.equal(bodies[1].outOfOrder, true);
    assert.equal(bodies[2].outOfOrder, undefined);
    // At the top level, beside id, type and timestamp.
    assert.deepEqual(Object.keys(bodies[1]), ['id', 'type', 'timestamp', 'outOfOrder', 'data']);
    assert.equal(bodies[1].id, startedId);
  });

  it('leaves endpoints without ordering unordered: events go as they arrive, in parallel', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 1_500 }));
    await createEndpoint({ url: r.url, retry: fastRetry(3) });
    const events = callEvents(unique('call'));
    await post([events[3], events[2], events[1], events[0]]);
    const got = await r.waitFor(4, 30_000);
    // All four in flight at once: the last arrives before the first is answered.
    assert.ok(got[3].at - got[0].at < 1_500, `spread ${got[3].at - got[0].at} ms`);
  });

  it('moves on when the event holding the turn is gone (its workflow terminated)', async () => {
    const r = await receiver((q) => (parsed(q).type === 'call_started' ? 500 : 200));
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(1), orderingWindowMs: 1_500 });
    const callId = unique('call');
    const sequencer = kit.stack.client.workflow.getHandle(sequencerIdForCall(ep.id, callId));
    // Started ahead so it checks on the holder every half second rather than every minute.
    await kit.stack.client.workflow.start('callSequencer', {
      taskQueue: kit.stack.taskQueue,
      workflowId: sequencer.workflowId,
      args: [{ endpointId: ep.id, callId, probeMs: 500 }],
    });
    const [started, completed, disposition, kase] = await post(callEvents(callId));
    await waitForDelivery(deliveryOf(started, ep.id), 'awaiting_review');
    await waitForDelivery(deliveryOf(kase, ep.id), 'blocked');
    const view = await sequencer.query(sequenceViewQuery);
    assert.deepEqual(view.active, { eventId: started, inReview: true, held: false, outOfOrder: false });
    assert.deepEqual(view.queued, [completed, disposition, kase]);
    await kit.stack.client.workflow.getHandle(`event-${started}`).terminate('test: the holder is gone');
    await waitForDelivery(deliveryOf(kase, ep.id), 'delivered');
    assert.deepEqual(r.requests.map((q) => parsed(q).type), [...TYPES]);
    await sequencer.terminate('test done');
  });

  it('runs one sequencer per call that continues as new as it grows and closes when idle', async () => {
    const r = await receiver();
    // Eight events posted one by one: a window that covers the whole burst.
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(3), orderingWindowMs: 2_000 });
    const callId = `${unique('call')} with spaces/slashes & ünïcode`;
    const workflowId = sequencerIdForCall(ep.id, callId);
    assert.match(workflowId, /^sequence-[a-z0-9-]+-[0-9a-f]{32}$/);
    // Started ahead with test settings; the events' signal-with-start then joins this run.
    await kit.stack.client.workflow.start('callSequencer', {
      taskQueue: kit.stack.taskQueue,
      workflowId,
      args: [{ endpointId: ep.id, callId, idleMs: 2_000, historyLimit: 40 }],
    });
    const events = [...callEvents(callId), ...callEvents(callId, Date.parse('2026-11-29T10:00:10Z'))];
    const order = shuffled(events.length);
    await post(order.map((i) => events[i]));
    const got = await r.waitFor(8, 30_000);
    assert.deepEqual(got.map((q) => parsed(q).timestamp), events.map((e) => e.occurredAt));
    assert.ok(got.every((q) => parsed(q).outOfOrder === undefined));
    const runs = async () => {
      const list: string[] = [];
      for await (const wf of kit.stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) list.push(wf.status.name);
      return list;
    };
    // It continued as new at least once, and its last run closes by itself once idle.
    const closed = await eventually(async () => {
      const list = await runs();
      return list.length >= 2 && list.every((s) => s !== 'RUNNING') ? list : undefined;
    }, 20_000, 'the sequencer to continue as new and close');
    assert.ok(closed.includes('CONTINUED_AS_NEW'), closed.join(','));
    assert.ok(closed.includes('COMPLETED'), closed.join(','));
    const result = await kit.stack.client.workflow.getHandle(workflowId).result();
    assert.equal(result.granted, 8);

    // A new sequencer starts for a late event, and remembers what the closed one sent.
    const late = { ...callEvents(callId)[1], occurredAt: '2026-11-29T10:00:05Z' };
    const [lateId] = await post([late]);
    await waitForDelivery(deliveryOf(lateId, ep.id), 'delivered');
    const body = parsed(r.requests.at(-1)!);
    assert.equal(body.id, lateId);
    assert.equal(body.outOfOrder, true, 'an event older than what the closed sequencer sent is flagged');
    await kit.stack.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('shows the events behind a held turn holder as held, lets one be discarded, and goes on in order once enabled', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, ordering: 'per_call', retry: fastRetry(3), orderingWindowMs: 1_000 });
    assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { disabled: true })).status, 200);
    const [started, completed, disposition, kase] = await post(callEvents(unique('call')));
    await waitForDelivery(deliveryOf(started, ep.id), 'held');
    for (const id of [completed, disposition, kase]) {
      const d = await waitForDelivery(deliveryOf(id, ep.id), 'held');
      assert.match(d.reason, new RegExp(`event ${started} \\(call_started\\)`));
      assert.match(d.reason, /endpoint is disabled/);
    }
    // Discarding a delivery that waits behind the holder takes it out of the sequence.
    assert.equal((await api('POST', `/v1/deliveries/${deliveryOf(disposition, ep.id)}/discard`, {})).status, 202);
    await waitForDelivery(deliveryOf(disposition, ep.id), 'discarded');
    assert.equal(r.requests.length, 0);
    assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { disabled: false })).status, 200);
    await waitForDelivery(deliveryOf(kase, ep.id), 'delivered', 30_000);
    assert.deepEqual(r.requests.map((q) => parsed(q).type), ['call_started', 'call_completed', 'case_created']);
  });
});
