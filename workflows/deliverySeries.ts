import { ActivityFailure, ApplicationFailure, condition, proxyActivities, proxyLocalActivities, sleep, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import {
  FAILURE_TYPES,
  URGENT_PRIORITY_KEY,
  type Activities,
  type AttemptReport,
  type DeliverInput,
  type DeliveryStatus,
  type DeliveryTarget,
  type MatchedEndpoint,
  type OperationalEventType,
  type ThrottleReport,
} from './contract';
import { localAttemptOptions, type FirstTaskGate } from './firstAttempt';
import { endpointState } from './serviceActivities';

/**
 * The delivery series, shared by the event workflow (one delivery per endpoint) and the batch
 * workflow (a batch as a unit): attempts under the endpoint's retry policy, waits for a flow-control
 * slot, the fallback url, review by an operator, and the hold while the endpoint is disabled.
 */

/** How often a held delivery looks at its endpoint by itself, in case a release signal was missed. */
const HOLD_POLL_FIRST_MS = 60_000;
const HOLD_POLL_MAX_MS = 3_600_000;

/** What an operator asked of a delivery in review or held. */
export type Action = { kind: 'resend'; url?: string } | { kind: 'discard'; reason?: string } | { kind: 'release' };

/**
 * How a series of attempts ended, when not delivered, read from the delivery activity's failure.
 * Shared by single deliveries and batches, which follow the same retry, fallback and review path.
 */
export type Stop =
  | { kind: 'failed'; reason: string; nextDelayMs?: number }
  | { kind: 'rejected'; reason: string }
  | { kind: 'gone'; reason: string }
  | { kind: 'transform'; reason: string }
  | { kind: 'held'; reason: string }
  | { kind: 'deleted'; reason: string };

export type SeriesOutcome = 'delivered' | Stop;

export function stopFor(cause: ApplicationFailure, report: AttemptReport | undefined): Stop {
  switch (cause.type) {
    case FAILURE_TYPES.endpointDeleted:
      return { kind: 'deleted', reason: 'the endpoint was deleted' };
    case FAILURE_TYPES.endpointDisabled:
      return { kind: 'held', reason: report?.disabledEndpoint ?? 'the endpoint is disabled' };
    case FAILURE_TYPES.endpointGone:
      return { kind: 'gone', reason: 'the receiver answered 410 Gone; the endpoint is disabled' };
    case FAILURE_TYPES.attemptRejected:
      return { kind: 'rejected', reason: `the receiver refused the request (${cause.message})` };
    case FAILURE_TYPES.transformFailed:
      // The message is the reason: "transform_failed: <what went wrong>".
      return { kind: 'transform', reason: cause.message };
    case FAILURE_TYPES.targetBlocked:
      // The message says it: "refused by the outbound guard: <url or address> is <range>".
      return { kind: 'rejected', reason: cause.message };
    default:
      return { kind: 'failed', reason: 'every attempt failed', nextDelayMs: report?.nextDelayMs };
  }
}

/**
 * The retry policy for the attempts of a series after its first (which runs alone), once `made`
 * of them were made: the activity sets each delay itself (jitter, Retry-After), these bounds are
 * the fallback. At least one attempt: 0 would mean unlimited to Temporal.
 */
export function laterAttemptsRetry(r: MatchedEndpoint['retry'], made: number): RetryPolicy {
  return {
    initialInterval: Math.min(r.initialIntervalMs * r.backoffCoefficient, r.maxIntervalMs),
    backoffCoefficient: r.backoffCoefficient,
    maximumInterval: r.maxIntervalMs,
    maximumAttempts: Math.max(1, r.maxAttempts - made),
  };
}

/** What a series keeps up to date: an event's delivery, or a batch. */
export interface SeriesState {
  status: DeliveryStatus;
  reason?: string;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: string;
}

/** What differs between the event workflow and the batch workflow, which run the same series. */
export interface SeriesHost<D extends SeriesState> {
  /** `delivery` or `batch delivery`: the activities' summary. */
  label: string;
  /** A `priority: "high"` endpoint's attempts take the priority lane (a batch's workflow runs in it already). */
  priorityLane: boolean;
  /** An endpoint test: attempted once, with no retries, fallback or review. */
  once: boolean;
  /** After a hold, the series keeps its one-off url (a batch's own) rather than the endpoint's url. */
  keepUrlAfterHold: boolean;
  endpointId(d: D): string;
  /** Where an operator's resend, discard or release of this delivery is left (by the signal handlers). */
  operator(d: D): { action?: Action };
  deliverInput(d: D, target: DeliveryTarget, url: string | undefined, seriesOffset: number): DeliverInput;
  setStatus(d: D, status: DeliveryStatus, reason?: string): void;
  delivered(d: D, status: 'delivered' | 'delivered_fallback', reviewed: boolean): void;
  /** Operational events (an attempt disabled the endpoint). */
  emit(type: OperationalEventType, data: Record<string, unknown>): void;
  /** The delivery went to review. */
  exhausted?(d: D): void;
  /** The first attempt of a series went out (`true`) or came back (`false`). */
  firstAttempt?(d: D, out: boolean): void;
  /**
   * The gate when a delivery's very first attempt runs as a local activity (workflows/firstAttempt.ts),
   * inside the workflow task that started it; undefined: a regular activity. Asked once per delivery, for its first series only.
   */
  localFirst?(d: D, m: MatchedEndpoint): FirstTaskGate | undefined;
}

export function deliverySeries<D extends SeriesState>(host: SeriesHost<D>) {
  const { setStatus } = host;

  function record(d: D, report: AttemptReport | undefined, delivered: boolean): void {
    if (!report) return;
    d.attempts = Math.max(d.attempts, report.attempt);
    d.lastStatusCode = report.statusCode;
    d.lastError = delivered ? undefined : report.message;
    if (delivered) d.deliveredAt = report.at;
    if (report.disabledEndpoint) {
      host.emit('endpoint_disabled', { endpointId: host.endpointId(d), reason: report.disabledEndpoint, disabledAt: report.at });
    }
  }

  /** `again(made)`: the activity with the attempts left once `made` of the series were made (after a throttle). */
  async function attempt(
    d: D,
    again: (made: number) => Activities['deliver'],
    target: DeliveryTarget,
    url: string | undefined,
    seriesOffset: number,
  ): Promise<SeriesOutcome> {
    const deliver = again(seriesOffset);
    try {
      const report = await deliver(host.deliverInput(d, target, url, seriesOffset));
      record(d, report, true);
      return 'delivered';
    } catch (err) {
      // A local attempt's failure may come unwrapped (not in an ActivityFailure).
      const cause = err instanceof ActivityFailure ? err.cause : err instanceof ApplicationFailure ? err : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.throttled) {
        // Flow control: no attempt was made. Wait, then the same attempt tries again, uncounted.
        const t = cause.details?.[0] as ThrottleReport;
        d.attempts = Math.max(d.attempts, t.lastAttempt);
        await throttle(d, t.waitMs);
        return attempt(d, again, target, url, seriesOffset + t.made);
      }
      if (!(cause instanceof ApplicationFailure)) {
        // The attempt outlived its activity timeout; count it, as the receiver may have seen it.
        d.attempts += 1;
        d.lastError = 'the attempt timed out';
        return { kind: 'failed', reason: 'every attempt failed' };
      }
      const report = cause.details?.[0] as AttemptReport | undefined;
      record(d, report, false);
      return stopFor(cause, report);
    }
  }

  /** Shows `throttled` while waiting for a slot (a workflow timer), then the status it had. */
  async function throttle(d: D, waitMs: number): Promise<void> {
    const { status, reason } = d;
    setStatus(d, 'throttled', "waiting for a slot under the endpoint's rate or concurrency limit");
    await sleep(waitMs);
    setStatus(d, status, reason);
  }

  /** One series of attempts under the endpoint's retry policy, declared as a Temporal RetryPolicy. */
  async function series(d: D, m: MatchedEndpoint, target: DeliveryTarget, url?: string, local?: FirstTaskGate): Promise<SeriesOutcome> {
    const r = m.retry;
    const options = {
      startToCloseTimeout: r.attemptTimeoutMs + 5_000,
      summary: `${target === 'fallback' ? 'fallback ' : ''}${host.label} to ${host.endpointId(d)}`,
      // The priority lane: ahead of routine tasks when the queue has a backlog. The workflow's own
      // priority (its tenant's fairness key and weight) is spelt out beside it, not left to a merge.
      ...(host.priorityLane && m.priority === 'high' ? { priority: { ...workflowInfo().priority, priorityKey: URGENT_PRIORITY_KEY } } : {}),
    };
    // The first attempt runs alone so the workflow can show `retrying` as soon as it fails.
    const first = proxyActivities<Activities>({ ...options, retry: { maximumAttempts: 1 } }).deliver;
    // A local first attempt is tried once; should it have to wait for a flow-control slot, the
    // attempt it then makes is a regular activity, like every later one.
    let gate = local;
    const firstOrLocal = (): Activities['deliver'] => {
      if (!gate) return first;
      const { together } = gate;
      gate = undefined;
      const deliver = proxyLocalActivities<Activities>({ ...localAttemptOptions(r), summary: options.summary }).deliver;
      return (input) => together(() => deliver(input));
    };
    host.firstAttempt?.(d, true);
    const outcome = await attempt(d, firstOrLocal, target, url, 0).finally(() => host.firstAttempt?.(d, false));
    if (outcome === 'delivered' || outcome.kind !== 'failed' || r.maxAttempts <= 1 || host.once) return outcome;
    setStatus(d, 'retrying', target === 'fallback' ? 'delivering to the fallback url' : undefined);
    await sleep(outcome.nextDelayMs ?? r.initialIntervalMs);
    // `made`: attempts of this series so far (1, or more when a throttle interrupted the retries).
    const rest = (made: number) =>
      proxyActivities<Activities>({
        ...options,
        retry: laterAttemptsRetry(r, made),
      }).deliver;
    return attempt(d, rest, target, url, 1);
  }

  /** Waits for an operator. Answers the resend to make, or undefined once discarded or expired. */
  async function review(d: D, m: MatchedEndpoint, reason: string): Promise<{ url?: string } | undefined> {
    const operator = host.operator(d);
    setStatus(d, 'awaiting_review', reason);
    host.exhausted?.(d);
    for (;;) {
      const acted = await condition(() => operator.action !== undefined, m.reviewWindowMs);
      if (!acted) {
        setStatus(d, 'expired', 'no resend or discard within the review window');
        return undefined;
      }
      const action = operator.action!;
      operator.action = undefined;
      if (action.kind === 'discard') {
        setStatus(d, 'discarded', action.reason ?? 'discarded by an operator');
        return undefined;
      }
      if (action.kind === 'resend') {
        setStatus(d, 'pending');
        return { url: action.url };
      }
    }
  }

  /** Waits while the endpoint is disabled. True once it is enabled again. */
  async function hold(d: D, reason: string): Promise<boolean> {
    const operator = host.operator(d);
    setStatus(d, 'held', reason);
    let pollMs = HOLD_POLL_FIRST_MS;
    for (;;) {
      const acted = await condition(() => operator.action !== undefined, pollMs);
      const action = operator.action;
      operator.action = undefined;
      if (action?.kind === 'discard') {
        setStatus(d, 'discarded', action.reason ?? 'discarded by an operator');
        return false;
      }
      if (action?.kind === 'release') break;
      if (!acted) {
        const state = await endpointState(host.endpointId(d));
        if (state === 'enabled') break;
        if (state === 'deleted') {
          setStatus(d, 'discarded', 'the endpoint was deleted');
          return false;
        }
        pollMs = Math.min(pollMs * 2, HOLD_POLL_MAX_MS);
      }
    }
    setStatus(d, 'pending');
    return true;
  }

  return {
    /**
     * Delivers until delivered, discarded or expired: the series to the url (`url`, else the
     * endpoint's), the fallback url once, then review and the series again on each resend; held
     * while the endpoint is disabled. `wasReviewed`: it was in review before (a resend).
     */
    async deliver(d: D, m: MatchedEndpoint, url?: string, wasReviewed = false): Promise<void> {
      let reviewed = wasReviewed;
      let fallbackTried = false;
      const local = !wasReviewed && url === undefined ? host.localFirst?.(d, m) : undefined;
      let outcome = await series(d, m, 'primary', url, local);
      for (;;) {
        if (outcome === 'delivered') return host.delivered(d, 'delivered', reviewed);
        if (host.once) return setStatus(d, 'discarded', 'an endpoint test is attempted once');
        if (outcome.kind === 'deleted') return setStatus(d, 'discarded', outcome.reason);
        if (outcome.kind === 'held') {
          if (!(await hold(d, outcome.reason))) return;
          outcome = await series(d, m, 'primary', host.keepUrlAfterHold ? url : undefined);
          continue;
        }
        if (outcome.kind !== 'gone' && outcome.kind !== 'transform' && m.hasFallback && !fallbackTried) {
          fallbackTried = true;
          setStatus(d, 'retrying', 'delivering to the fallback url');
          const fallback = await series(d, m, 'fallback');
          if (fallback === 'delivered') return host.delivered(d, 'delivered_fallback', reviewed);
          if (fallback.kind === 'held' || fallback.kind === 'deleted') {
            outcome = fallback;
            continue;
          }
          outcome = { kind: 'failed', reason: 'the url and the fallback url failed' };
        }
        const resend = await review(d, m, outcome.reason);
        if (!resend) return;
        reviewed = true;
        fallbackTried = true;
        outcome = await series(d, m, 'primary', resend.url);
      }
    },
  };
}
