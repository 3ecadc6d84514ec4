import type { ApplicationFailure, RetryPolicy } from '@temporalio/workflow';
import { FAILURE_TYPES, type AttemptReport, type MatchedEndpoint } from './contract';

/**
 * How a series of attempts ended, when not delivered, read from the delivery activity's failure.
 * Shared by single deliveries and batches, which follow the same retry, fallback and review path.
 */
export type Stop =
  | { kind: 'failed'; reason: string; nextDelayMs?: number }
  | { kind: 'rejected'; reason: string }
  | { kind: 'gone'; reason: string }
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
