import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { EndpointSettings } from '../../src/domain/endpoint';
import { deliveryId } from '../../src/domain/ids';
import { generateSecret } from '../../src/domain/signing';
import { resendSignal, statusQuery, type CallbackEvent, type EventSnapshot } from '../../workflows/contract';
import type { Receiver } from '../helpers/receiver';
import { startTimeSkippingStack, type TimeSkippingStack } from '../helpers/timeSkipping';

/**
 * The schedules that take hours and days (the default retry policy, the 7-day review window),
 * run in skipped time on Temporal's time-skipping test server, with the real workflow bundle,
 * activities, SQLite store, outbound HTTP client and loopback receivers.
 *
 * How time is measured: the test server's clock (`env.currentTimeMs()`) is the workflow's
 * clock, and it stands still while an activity is in flight (the server locks time skipping
 * from an activity's scheduling to its completion). So the receiver reads the server time when
 * a request arrives and holds its answer briefly, which gives each attempt's start in skipped
 * time. The attempt log's `startedAt` cannot serve: activities read the real clock, which does
 * not skip (the last test checks that too, as it is why auto-disable is not tested here).
 */

const { EventType } = temporal.api.enums.v1;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The default policy (8 attempts, 5 s, ×6, at most 10 h): the waits after attempts 1 to 7. */
const DEFAULT_GAPS_MS = [5 * SECOND, 30 * SECOND, 3 * MINUTE, 18 * MINUTE, 1.8 * HOUR, 10 * HOUR, 10 * HOUR];
const JITTER = 0.2;
/**
 * Server time that is not backoff: while an attempt runs (the receiver holds each answer
 * HOLD_MS) and while workflow tasks run, the server clock moves at real speed.
 */
const HOLD_MS = 100;
const OVERHEAD_MS = 1_500;

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

describe('long schedules in skipped time (time-skipping test server)', function () {
  this.timeout(60_000);
  let stack: TimeSkippingStack;

  beforeEach(async function () {
    this.timeout(60_000);
    stack = await startTimeSkippingStack();
  });
  afterEach(async function () {
    this.timeout(30_000);
    await stack?.close();
  });

  /** A receiver that notes each request's arrival in server time and answers `status()` after HOLD_MS. */
  async function timedReceiver(status: (index: number) => number) {
    const serverTimes: Array<Promise<number>> = [];
    const receiver = await stack.receiver((_request, index) => {
      serverTimes.push(stack.now());
      return { status: status(index), delayMs: HOLD_MS };
    });
    return { receiver, arrivals: () => Promise.all(serverTimes) };
  }

  async function endpoint(url: string, settings: Partial<EndpointSettings> = {}) {
    return stack.store.createEndpoint({ id: unique('ep'), secret: generateSecret(), settings: { url, eventTypes: ['call_completed'], ...settings } });
  }

  /** Starts the event's workflow through the service's own gateway: the same id, options and search attributes. */
  async function sendEvent(): Promise<{ event: CallbackEvent; handle: WorkflowHandle }> {
    const event: CallbackEvent = {
      id: unique('evt'),
      type: 'call_completed',
      occurredAt: '2026-11-29T10:00:05Z',
      data: {
        callId: unique('call'),
        agentId: 'agent-7',
        startedAt: '2026-11-29T09:58:00Z',
        endedAt: '2026-11-29T10:00:00Z',
        durationMs: 120000,
        endedReason: 'caller_hangup',
        disposition: 'qualified',
      },
    };
    const started = await stack.services.events.start({ event });
    assert.equal(started.duplicate, false);
    assert.equal(started.workflowId, `event-${event.id}`);
    return { event, handle: stack.env.client.workflow.getHandle(started.workflowId) };
  }

  const status = (handle: WorkflowHandle): Promise<EventSnapshot> => handle.query(statusQuery);

  /** Skips server time in steps until `done` holds; fails after `limitMs` of skipped time. */
  async function skipUntil(done: () => Promise<boolean>, stepMs: number, limitMs: number, what: string): Promise<void> {
    const start = await stack.now();
    while (!(await done())) {
      if ((await stack.now()) - start > limitMs) throw new Error(`not ${what} after ${limitMs / HOUR} h of skipped time`);
      await stack.env.sleep(stepMs);
    }
  }

  /** Skips server time to `at` (ms since the epoch, server time). */
  async function skipTo(at: number): Promise<void> {
    const left = at - (await stack.now());
    assert.ok(left > 0, `already ${-left} ms past the target time`);
    await stack.env.sleep(left);
  }

  async function failAllDefaultAttempts(receiver: Receiver, handle: WorkflowHandle): Promise<EventSnapshot> {
    let snapshot: EventSnapshot | undefined;
    // About 22 h of backoff in all; an hour at a time, so the review window is barely entered.
    await skipUntil(
      async () => {
        snapshot = await status(handle);
        return snapshot.status === 'awaiting_review';
      },
      HOUR,
      30 * HOUR,
      'awaiting review',
    );
    assert.equal(receiver.requests.length, 8);
    return snapshot!;
  }

  /** The review timer in history: when it started, in server time, and for how long. */
  async function reviewTimer(handle: WorkflowHandle): Promise<{ startedAt: number; durationMs: number }> {
    const events = (await handle.fetchHistory()).events ?? [];
    const timers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    const last = timers[timers.length - 1];
    assert.ok(last, 'no timer in history');
    return { startedAt: ms(last.eventTime), durationMs: ms(last.timerStartedEventAttributes?.startToFireTimeout) };
  }

  it('default policy: 8 attempts at 5 s, 30 s, 3 min, 18 min, 1.8 h, 10 h, 10 h (±20 %), then awaiting review', async () => {
    const { receiver, arrivals } = await timedReceiver(() => 500);
    const ep = await endpoint(receiver.url);
    const { event, handle } = await sendEvent();
    const realStart = Date.now();

    const snapshot = await failAllDefaultAttempts(receiver, handle);
    const [delivery] = snapshot.deliveries;
    assert.equal(snapshot.deliveries.length, 1);
    assert.equal(delivery.endpointId, ep.id);
    assert.equal(delivery.status, 'awaiting_review');
    assert.equal(delivery.attempts, 8);
    assert.equal(delivery.lastStatusCode, 500);
    assert.equal(delivery.reason, 'every attempt failed');

    const at = await arrivals();
    assert.equal(at.length, 8);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    gaps.forEach((gap, i) => {
      const planned = DEFAULT_GAPS_MS[i];
      const low = planned * (1 - JITTER);
      const high = planned * (1 + JITTER) + OVERHEAD_MS;
      assert.ok(gap >= low && gap <= high, `wait after attempt ${i + 1}: ${gap} ms, expected ${low}..${high} ms (${planned} ms ±20 %)`);
    });
    // Jitter never lifts a wait above the policy's 10 h ceiling.
    for (const gap of gaps.slice(5)) assert.ok(gap <= 10 * HOUR + OVERHEAD_MS, `a capped wait of ${gap} ms`);

    // History agrees: the wait after the first attempt is a workflow timer holding the jittered
    // delay the activity chose, and the last attempt (the 7th of the server-side retries) started
    // when the receiver saw the 8th request.
    const events = (await handle.fetchHistory()).events ?? [];
    const firstWait = events.find((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    const firstWaitMs = ms(firstWait?.timerStartedEventAttributes?.startToFireTimeout);
    assert.ok(firstWaitMs >= 4 * SECOND && firstWaitMs <= 6 * SECOND, `first wait ${firstWaitMs} ms`);
    const starts = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    const lastDeliver = starts.filter((e) => e.activityTaskStartedEventAttributes?.attempt === 7);
    assert.equal(lastDeliver.length, 1, 'one activity reached attempt 7');
    assert.ok(Math.abs(ms(lastDeliver[0].eventTime) - at[7]) < OVERHEAD_MS, 'the 7th retry started with the 8th request');

    // The attempt log has all 8, each a 500 from the endpoint's own url. Its clock is the real one:
    // the ~22 h of backoff went by in seconds.
    const log = await stack.store.listAttempts(deliveryId(event.id, ep.id));
    assert.deepEqual(log.map((a) => a.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(log.every((a) => a.statusCode === 500 && a.target === 'primary' && a.url === receiver.url));
    const realSpan = Date.parse(log[7].startedAt) - Date.parse(log[0].startedAt);
    // At the least 0.8 × (5 s + 30 s + 3 min + 18 min + 1.8 h) + 2 × 8 h: over 17 h.
    assert.ok(at[7] - at[0] > 17 * HOUR, `server time spanned ${at[7] - at[0]} ms`);
    assert.ok(realSpan < 30 * SECOND, `the attempt log spans ${realSpan} ms of real time`);
    assert.ok(Date.now() - realStart < 30 * SECOND);

    // No ninth attempt: two more days pass in review without a request.
    await stack.env.sleep(2 * DAY);
    assert.equal(receiver.requests.length, 8);
    assert.equal((await status(handle)).status, 'awaiting_review');
  });

  it('a delivery awaiting review expires after the 7-day window, and not before', async () => {
    const { receiver } = await timedReceiver(() => 500);
    const ep = await endpoint(receiver.url, { retry: { maxAttempts: 1 } });
    const { event, handle } = await sendEvent();
    await skipUntil(async () => (await status(handle)).status === 'awaiting_review', MINUTE, HOUR, 'awaiting review');
    const review = await reviewTimer(handle);
    assert.equal(review.durationMs, 7 * DAY, 'the default review window');

    await skipTo(review.startedAt + 6 * DAY);
    assert.equal((await status(handle)).status, 'awaiting_review', 'after 6 days');
    await skipTo(review.startedAt + 7 * DAY - MINUTE);
    assert.equal((await status(handle)).status, 'awaiting_review', 'a minute before 7 days');

    // Awaiting the result lets the server skip to the window's end.
    const result = (await handle.result()) as EventSnapshot;
    assert.equal(result.status, 'expired');
    assert.equal(result.deliveries[0].endpointId, ep.id);
    assert.equal(result.deliveries[0].status, 'expired');
    assert.equal(result.deliveries[0].reason, 'no resend or discard within the review window');
    const events = (await handle.fetchHistory()).events ?? [];
    const fired = events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
    const expiredAt = ms(fired[fired.length - 1]?.eventTime);
    assert.ok(expiredAt - review.startedAt >= 7 * DAY && expiredAt - review.startedAt < 7 * DAY + MINUTE, `expired after ${expiredAt - review.startedAt} ms`);
    assert.equal(receiver.requests.length, 1, 'nothing was sent while in review');
    assert.equal((await stack.store.listAttempts(deliveryId(event.id, ep.id))).length, 1);
  });

  it('a resend within the window, after the receiver recovered, delivers', async () => {
    let healthy = false;
    const { receiver, arrivals } = await timedReceiver(() => (healthy ? 200 : 500));
    const ep = await endpoint(receiver.url);
    const { event, handle } = await sendEvent();
    await failAllDefaultAttempts(receiver, handle);
    const review = await reviewTimer(handle);

    await skipTo(review.startedAt + 3 * DAY);
    assert.equal((await status(handle)).status, 'awaiting_review');
    healthy = true;
    await handle.signal(resendSignal, { endpointId: ep.id });

    const result = (await handle.result()) as EventSnapshot;
    assert.equal(result.status, 'delivered');
    const [delivery] = result.deliveries;
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 9);
    assert.equal(delivery.lastStatusCode, 200);
    assert.ok(delivery.deliveredAt);

    const at = await arrivals();
    assert.equal(at.length, 9);
    const sentAfter = at[8] - review.startedAt;
    assert.ok(sentAfter >= 3 * DAY && sentAfter < 3 * DAY + MINUTE, `resent ${sentAfter} ms into the window`);
    // Every attempt is the same message to the receiver.
    assert.deepEqual(new Set(receiver.requests.map((r) => r.headers['webhook-id'])), new Set([event.id]));
    const log = await stack.store.listAttempts(deliveryId(event.id, ep.id));
    assert.deepEqual(log.map((a) => a.statusCode), [500, 500, 500, 500, 500, 500, 500, 500, 200]);
  });
});
