import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { deliverySinks } from '../../src/metrics/deliverySinks';
import { createMetrics } from '../../src/metrics/registry';
import { payloadDataConverter } from '../../src/temporal/payloadCodec';
import { createTemporalServices, type TenantServices } from '../../src/temporal/services';
import { workflowIdForEvent } from '../../workflows/contract';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { startOwnWorker } from '../helpers/ownWorker';
import { call, eventually, workflowBundle, type Stack } from '../helpers/stack';

/**
 * The fast path (workflows/firstAttempt.ts): a plain delivery's first attempt is a local activity
 * in the event's first workflow task, and an event whose first attempts all succeed completes in it.
 */

const EventType = temporal.api.enums.v1.EventType;

async function historyOf(stack: Stack, workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/** Replays a run's whole history on a fresh worker: every local attempt's result arrives at once. */
async function replay(stack: Stack, workflowId: string): Promise<void> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle(), dataConverter: payloadDataConverter(stack.codec), sinks: deliverySinks(createMetrics()) },
    history,
    workflowId,
  );
}

const count = (events: temporal.api.history.v1.IHistoryEvent[], type: temporal.api.enums.v1.EventType) =>
  events.filter((e) => e.eventType === type).length;

describe('first attempts as local activities', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, waitForStatus } = kit;
  let stack: Stack;
  let fast: TenantServices;
  let regular: TenantServices;
  before(() => {
    stack = kit.stack;
    // The stack's API starts events as CALLBACKS_LOCAL_FIRST_ATTEMPT says (on by default); these say it themselves.
    fast = createTemporalServices(stack.client, { taskQueue: stack.taskQueue, namespace: 'default', localFirstAttempt: true });
    regular = createTemporalServices(stack.client, { taskQueue: stack.taskQueue, namespace: 'default', localFirstAttempt: false });
  });

  /** Starts an event as the API does with CALLBACKS_LOCAL_FIRST_ATTEMPT on (or off, on `via` regular). */
  async function sendFast(via = fast): Promise<{ id: string; workflowId: string }> {
    const event = { id: unique('evt'), ...completedCall(unique('call')) };
    await via.events.start({ event });
    return { id: event.id, workflowId: workflowIdForEvent(event.id) };
  }

  it('delivers a single-endpoint event in one workflow task, with at most 8 history events', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const sent = { body: await sendFast() };
    const [got] = await r.waitFor(1);
    assert.ok(new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>));
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries[0].attempts, 1);

    const events = await eventually(async () => {
      const h = await historyOf(stack, sent.body.workflowId);
      return count(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) === 1 ? h : undefined;
    }, 20_000, 'the workflow to complete');
    const types = events.map((e) => EventType[e.eventType ?? 0]);
    assert.ok(events.length <= 8, `history: ${types.join(', ')}`);
    assert.equal(count(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), 1, types.join(', '));
    assert.equal(count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 0, types.join(', '));
    // The match and the delivery, each a local activity's marker.
    assert.equal(count(events, EventType.EVENT_TYPE_MARKER_RECORDED), 2, types.join(', '));
    // Search attributes: set at the start, written once more at the end.
    assert.equal(count(events, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES), 1, types.join(', '));

    // The attempt log shows the local attempt as any first attempt.
    const delivery = await kit.delivery(done.deliveries[0].id);
    assert.equal(delivery.endpointId, ep.id);
    assert.equal(delivery.attempts.length, 1);
    assert.equal(delivery.attempts[0].attempt, 1);
    assert.equal(delivery.attempts[0].statusCode, 200);
  });

  it('fans out to 3 endpoints with their local attempts in parallel, with no regular activity', async () => {
    const receivers = await Promise.all([0, 1, 2].map(() => receiver(() => ({ status: 200, delayMs: 300 }))));
    for (const r of receivers) await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const started = Date.now();
    const sent = { body: await sendFast() };
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries.length, 3);
    const events = await historyOf(stack, sent.body.workflowId);
    const types = events.map((e) => EventType[e.eventType ?? 0]);
    // One workflow task; on a machine loaded enough that the worker completes the first task
    // before its local attempts are back (seen under CI's load), a second one records them: still
    // no regular activity, and no more than 13 events.
    assert.ok(count(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) <= 2, types.join(', '));
    assert.equal(count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 0, types.join(', '));
    assert.equal(count(events, EventType.EVENT_TYPE_MARKER_RECORDED), 4, types.join(', '));
    assert.equal(count(events, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES), 1, types.join(', '));
    assert.ok(events.length <= (count(events, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) === 1 ? 10 : 13), types.join(', '));
    // In parallel: the three 300 ms answers overlap.
    assert.ok(Date.now() - started < 3 * 300 + 5_000);
  });

  it('retries a failed local first attempt with regular activities, and publishes then', async () => {
    let n = 0;
    const r = await receiver(() => (n++ === 0 ? 500 : 200));
    await createEndpoint({ url: r.url, eventTypes: ['call_completed'], retry: fastRetry(3) });
    const sent = { body: await sendFast() };
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries[0].attempts, 2);
    const events = await historyOf(stack, sent.body.workflowId);
    const types = events.map((e) => EventType[e.eventType ?? 0]);
    // The first attempt was local (a marker), the second a regular activity under the retry policy.
    assert.equal(count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 1, types.join(', '));
    assert.equal(count(events, EventType.EVENT_TYPE_MARKER_RECORDED), 2, types.join(', '));
    // `retrying` was published, then `delivered`.
    assert.ok(count(events, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) >= 2, types.join(', '));
    await replay(stack, sent.body.workflowId);
    const delivery = await kit.delivery(done.deliveries[0].id);
    assert.deepEqual(delivery.attempts.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]), [[1, 500], [2, 200]]);
  });

  it('replays a fan-out whose local attempts came back one by one, some failing, as it ran', async () => {
    const ok = await Promise.all([0, 1].map((i) => receiver(() => ({ status: 200, delayMs: 100 + 200 * i }))));
    let n = 0;
    const flaky = await receiver(() => (n++ === 0 ? { status: 503, delayMs: 150 } : 200));
    for (const r of [...ok, flaky]) await createEndpoint({ url: r.url, eventTypes: ['call_completed'], retry: fastRetry(3) });
    const sent = { body: await sendFast() };
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.deepEqual(done.deliveries.map((d: { attempts: number }) => d.attempts).sort(), [1, 1, 2]);
    await eventually(async () => {
      const h = await historyOf(stack, sent.body.workflowId);
      return count(h, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) === 1;
    }, 20_000, 'the workflow to complete');
    await replay(stack, sent.body.workflowId);
  });

  it('goes the regular way when the attempt timeout does not fit in the workflow task', async () => {
    const r = await receiver();
    await createEndpoint({ url: r.url, eventTypes: ['call_completed'], retry: fastRetry(2, { attemptTimeoutMs: 25_000 }) });
    const sent = { body: await sendFast() };
    await waitForStatus(sent.body.id, 'delivered');
    const events = await historyOf(stack, sent.body.workflowId);
    assert.equal(count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 1, 'the first attempt was a regular activity');
    assert.equal(count(events, EventType.EVENT_TYPE_MARKER_RECORDED), 1, 'only the match was local');
  });

  it('makes a first attempt that must wait for a flow-control slot a regular activity after the wait', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 1_000 }));
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'], maxConcurrency: 1 });
    const sent = await Promise.all([0, 1, 2].map(() => sendFast()));
    for (const s of sent) await waitForStatus(s.id, 'delivered');
    assert.equal(r.requests.length, 3);
    const shapes = await Promise.all(sent.map(async (s) => {
      const events = await historyOf(stack, s.workflowId);
      return { local: count(events, EventType.EVENT_TYPE_MARKER_RECORDED) - 1, regular: count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) };
    }));
    // Each made exactly one attempt; those that waited for the slot made it as a regular activity (one per wait).
    for (const s of sent) assert.equal((await kit.delivery(`${s.id}~${ep.id}`)).attempts.length, 1);
    assert.ok(shapes.some((x) => x.regular >= 1), JSON.stringify(shapes));
    assert.ok(shapes.every((x) => x.local === 1), JSON.stringify(shapes));
  });

  it('answers for an event in its first workflow task at once, without waiting for the receiver', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 3_000 }));
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const sent = await sendFast();
    await r.waitFor(1);
    const event = await call(stack.api, 'GET', `/v1/events/${sent.id}`);
    const delivery = await call(stack.api, 'GET', `/v1/deliveries/${sent.id}~${ep.id}`);
    const resend = await call(stack.api, 'POST', `/v1/deliveries/${sent.id}~${ep.id}/resend`, {});
    // All three answered while the receiver still held the attempt: the run is in its first task.
    const { status, historyLength } = await stack.client.workflow.getHandle(sent.workflowId).describe();
    assert.equal(status.name, 'RUNNING');
    assert.ok(historyLength <= 3, `history length ${historyLength}`);
    assert.deepEqual([event.status, event.body.status, event.body.deliveries], [200, 'pending', []]);
    assert.deepEqual([delivery.status, delivery.body.status, delivery.body.attempts], [200, 'pending', []]);
    assert.equal(resend.status, 409);
    assert.equal(resend.body.error.code, 'delivery_state_conflict');
    // An endpoint of no event's tenant is no delivery of it, even then.
    assert.equal((await call(stack.api, 'GET', `/v1/deliveries/${sent.id}~no-such-endpoint`)).status, 404);
    await waitForStatus(sent.id, 'delivered');
  });

  it('lends a workflow-task slot for each local attempt out: slow receivers do not hold back other events', async () => {
    const own = await startOwnWorker(stack, { prefix: 'lend', slots: { workflowTasks: 2, activityTasks: 10 } });
    try {
      const slow = await receiver(() => ({ status: 200, delayMs: 4_000 }));
      const fast = await receiver();
      await createEndpoint({ url: slow.url, filter: { 'data.agentId': 'slow' } });
      await createEndpoint({ url: fast.url, filter: { 'data.agentId': 'fast' } });
      const start = (agentId: string) => own.services.events.start({ event: { id: unique('evt'), ...completedCall(unique('call'), { agentId }) } });
      // Four slow events on a worker of two workflow-task slots: each task waits on its receiver.
      for (let i = 0; i < 4; i++) await start('slow');
      const slowArrivals = await slow.waitFor(4);
      await start('fast');
      const [quick] = await fast.waitFor(1);
      // Every slow attempt was out at once, and the fast one went before any slow one was answered.
      const firstAnswer = Math.min(...slowArrivals.map((q) => q.at)) + 4_000;
      assert.ok(quick.at < firstAnswer, `fast at ${quick.at}, first slow answer at ${firstAnswer}`);
    } finally {
      await own.close();
    }
  });

  it('keeps runs started without the fast path on the regular path, and they replay', async () => {
    const r = await receiver();
    await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const sent = await sendFast(regular);
    const done = await waitForStatus(sent.id, 'delivered');
    assert.equal(done.deliveries[0].attempts, 1);
    const events = await historyOf(stack, sent.workflowId);
    assert.equal(count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 1, 'the first attempt was a regular activity');
    await replay(stack, sent.workflowId);
  });
});
