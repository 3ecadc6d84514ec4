import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  uuid4,
} from '@temporalio/workflow';
import {
  batchStatusQuery,
  batchUpdateSignal,
  deliveryId,
  DISCARD_DESCRIPTION,
  discardSignal,
  FAILURE_TYPES,
  RELEASE_DESCRIPTION,
  releaseSignal,
  RESEND_DESCRIPTION,
  resendSignal,
  type Activities,
  type AttemptReport,
  type BatchDeliveryInput,
  type BatchSnapshot,
  type BatchUpdate,
  type CallbackEvent,
  type DeliverBatch,
  type DeliveryStatus,
  type DeliveryTarget,
  type ThrottleReport,
} from './contract';
import { laterAttemptsRetry, stopFor, type SeriesOutcome } from './deliverySeries';
import { endpointState, emitEvent } from './serviceActivities';

/**
 * One batch's delivery (id `batch-<batchId>`): the same `deliver` activity, given the batch's
 * events, under the endpoint's retry policy, then the fallback url, then review — as a unit. Every
 * change of state is signalled to each member event's workflow, whose delivery shows it. Resend,
 * discard and release reach it from any member (the member forwards them), or directly.
 */


const HOLD_POLL_FIRST_MS = 60_000;
const HOLD_POLL_MAX_MS = 3_600_000;

type Action = { kind: 'resend'; url?: string } | { kind: 'discard'; reason?: string } | { kind: 'release' };

export async function batchDelivery(input: BatchDeliveryInput): Promise<BatchSnapshot> {
  const { batchId, endpointId, items, endpoint: m } = input;
  // The batch stands in for an event: its id is the `webhook-id`, its creation the timestamp.
  const batchEvent: CallbackEvent = { id: batchId, type: 'batch', occurredAt: input.createdAt, data: {} };
  const batch: DeliverBatch = {
    events: items.map((i) => i.event),
    members: items.map((i) => ({ deliveryId: i.deliveryId, attemptsBefore: i.attemptsBefore })),
  };
  const state: Omit<BatchUpdate, 'token' | 'batchId' | 'seq'> = { status: 'pending', attempts: 0 };
  let seq = 0;
  let action: Action | undefined;
  /** Signals to members and operational events under way: the workflow ends once they are done. */
  const background = new Set<Promise<void>>();
  const track = (task: Promise<unknown>) => {
    const done = task.then(() => undefined, () => undefined);
    background.add(done);
    void done.finally(() => background.delete(done));
  };

  const snapshot = (): BatchSnapshot => ({
    batchId,
    endpointId,
    status: state.status,
    attempts: state.attempts,
    reason: state.reason,
    events: items.map((i) => i.event.id),
  });

  setHandler(batchStatusQuery, snapshot);
  setHandler(
    resendSignal,
    ({ url } = {}) => {
      if (state.status === 'awaiting_review') action = { kind: 'resend', url };
    },
    { description: RESEND_DESCRIPTION },
  );
  setHandler(
    discardSignal,
    ({ reason } = {}) => {
      if (state.status === 'awaiting_review' || state.status === 'held') action = { kind: 'discard', reason };
    },
    { description: DISCARD_DESCRIPTION },
  );
  setHandler(
    releaseSignal,
    () => {
      if (state.status === 'held') action = { kind: 'release' };
    },
    { description: RELEASE_DESCRIPTION },
  );

  /** Tells every member; a member whose workflow has closed meanwhile is skipped. */
  function notify(): void {
    seq += 1;
    const update = { ...state, batchId, seq };
    for (const item of items) {
      track(getExternalWorkflowHandle(item.workflowId).signal(batchUpdateSignal, { ...update, token: item.token }));
    }
  }

  function setStatus(status: DeliveryStatus, reason?: string): void {
    state.status = status;
    state.reason = reason;
    setCurrentDetails(`**${status}** after ${state.attempts} attempt(s)${reason ? ` (${reason})` : ''}, ${items.length} event(s)`);
    notify();
  }

  function record(report: AttemptReport | undefined, delivered: boolean): void {
    if (!report) return;
    state.attempts = Math.max(state.attempts, report.attempt);
    state.lastStatusCode = report.statusCode;
    state.lastError = delivered ? undefined : report.message;
    if (delivered) state.deliveredAt = report.at;
    if (report.disabledEndpoint) {
      track(
        emitEvent({
        id: `op_${uuid4()}`,
        type: 'endpoint_disabled',
        occurredAt: new Date().toISOString(),
        data: { endpointId, reason: report.disabledEndpoint, disabledAt: report.at },
        }),
      );
    }
  }

  /** `again(made)`: the activity with the attempts left once `made` of the series were made (after a throttle). */
  async function attempt(
    again: (made: number) => Activities['deliver'],
    target: DeliveryTarget,
    url: string | undefined,
    seriesOffset: number,
  ): Promise<SeriesOutcome> {
    const deliver = again(seriesOffset);
    try {
      const report = await deliver({
        event: batchEvent,
        endpointId,
        deliveryId: deliveryId(batchId, endpointId),
        target,
        url,
        attemptOffset: state.attempts,
        seriesOffset,
        batch,
      });
      record(report, true);
      return 'delivered';
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.throttled) {
        // Flow control: no attempt was made. Wait, then the same attempt tries again, uncounted.
        const t = cause.details?.[0] as ThrottleReport;
        state.attempts = Math.max(state.attempts, t.lastAttempt);
        await throttle(t.waitMs);
        return attempt(again, target, url, seriesOffset + t.made);
      }
      if (!(cause instanceof ApplicationFailure)) {
        state.attempts += 1;
        state.lastError = 'the attempt timed out';
        return { kind: 'failed', reason: 'every attempt failed' };
      }
      const report = cause.details?.[0] as AttemptReport | undefined;
      record(report, false);
      return stopFor(cause, report);
    }
  }

  /** Shows `throttled` (on the batch and every member) while waiting for a slot, then the status it had. */
  async function throttle(waitMs: number): Promise<void> {
    const { status, reason } = state;
    setStatus('throttled', "waiting for a slot under the endpoint's rate or concurrency limit");
    await sleep(waitMs);
    setStatus(status, reason);
  }

  /** One series of attempts under the endpoint's retry policy (as the event workflow does it). */
  async function series(target: DeliveryTarget, url?: string): Promise<SeriesOutcome> {
    const r = m.retry;
    const options = {
      startToCloseTimeout: r.attemptTimeoutMs + 5_000,
      summary: `${target === 'fallback' ? 'fallback ' : ''}batch delivery to ${endpointId}`,
    };
    const first = proxyActivities<Activities>({ ...options, retry: { maximumAttempts: 1 } }).deliver;
    const outcome = await attempt(() => first, target, url, 0);
    if (outcome === 'delivered' || outcome.kind !== 'failed' || r.maxAttempts <= 1) return outcome;
    setStatus('retrying', target === 'fallback' ? 'delivering to the fallback url' : undefined);
    await sleep(outcome.nextDelayMs ?? r.initialIntervalMs);
    const rest = (made: number) =>
      proxyActivities<Activities>({
        ...options,
        retry: laterAttemptsRetry(r, made),
      }).deliver;
    return attempt(rest, target, url, 1);
  }

  async function review(reason: string): Promise<{ url?: string } | undefined> {
    setStatus('awaiting_review', reason);
    for (;;) {
      const acted = await condition(() => action !== undefined, m.reviewWindowMs);
      if (!acted) {
        setStatus('expired', 'no resend or discard within the review window');
        return undefined;
      }
      const taken = action!;
      action = undefined;
      if (taken.kind === 'discard') {
        setStatus('discarded', taken.reason ?? 'discarded by an operator');
        return undefined;
      }
      if (taken.kind === 'resend') {
        setStatus('pending');
        return { url: taken.url };
      }
    }
  }

  async function hold(reason: string): Promise<boolean> {
    setStatus('held', reason);
    let pollMs = HOLD_POLL_FIRST_MS;
    for (;;) {
      const acted = await condition(() => action !== undefined, pollMs);
      const taken = action;
      action = undefined;
      if (taken?.kind === 'discard') {
        setStatus('discarded', taken.reason ?? 'discarded by an operator');
        return false;
      }
      if (taken?.kind === 'release') break;
      if (!acted) {
        const endpoint = await endpointState(endpointId);
        if (endpoint === 'enabled') break;
        if (endpoint === 'deleted') {
          setStatus('discarded', 'the endpoint was deleted');
          return false;
        }
        pollMs = Math.min(pollMs * 2, HOLD_POLL_MAX_MS);
      }
    }
    setStatus('pending');
    return true;
  }

  async function run(): Promise<void> {
    // The members learn their batch at once (and stop handing themselves over).
    setStatus('pending', 'its batch is being delivered');
    let fallbackTried = false;
    let outcome = await series('primary', input.url);
    for (;;) {
      if (outcome === 'delivered') return setStatus('delivered');
      if (outcome.kind === 'deleted') return setStatus('discarded', outcome.reason);
      if (outcome.kind === 'held') {
        if (!(await hold(outcome.reason))) return;
        outcome = await series('primary', input.url);
        continue;
      }
      if (outcome.kind !== 'gone' && m.hasFallback && !fallbackTried) {
        fallbackTried = true;
        setStatus('retrying', 'delivering to the fallback url');
        const fallback = await series('fallback');
        if (fallback === 'delivered') return setStatus('delivered_fallback');
        if (fallback.kind === 'held' || fallback.kind === 'deleted') {
          outcome = fallback;
          continue;
        }
        outcome = { kind: 'failed', reason: 'the url and the fallback url failed' };
      }
      const resend = await review(outcome.reason);
      if (!resend) return;
      fallbackTried = true;
      outcome = await series('primary', resend.url);
    }
  }

  await run();
  // The last update must reach the members before this workflow closes.
  while (background.size > 0) await Promise.all([...background]);
  return snapshot();
}
