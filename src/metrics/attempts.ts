import { tenantOf, type FailureClass } from '../../workflows/contract';
import type { Verdict } from '../domain/retryPolicy';
import type { PostOutcome } from '../http/webhookClient';
import type { ServiceMetrics } from './registry';

/**
 * What the deliver activity reports of each attempt it makes: its duration by outcome class, and,
 * for a delivery's first attempt, the time from the event's arrival to its end.
 */

/** An answered attempt's class by what comes next; an unanswered one's by why (the webhook client's failure class). */
export type AttemptOutcome = 'success' | 'failed' | 'rejected' | Exclude<FailureClass, 'http'>;

export function attemptOutcome(outcome: Pick<PostOutcome, 'failure'>, verdict: Verdict): AttemptOutcome {
  if (outcome.failure && outcome.failure !== 'http') return outcome.failure;
  if (verdict === 'delivered') return 'success';
  return verdict === 'retry' ? 'failed' : 'rejected';
}

export interface AttemptMetrics {
  attempt(outcome: Pick<PostOutcome, 'failure' | 'durationMs'>, verdict: Verdict): void;
  /** `acceptedAt` and `endedAt` in ms since the epoch. */
  firstAttempt(tenantId: string, acceptedAt: number, endedAt: number): void;
  /** How long one event's matching took (the subscription index read and the filters). */
  matching(seconds: number): void;
}

export function attemptMetrics(metrics: ServiceMetrics): AttemptMetrics {
  return {
    attempt(outcome, verdict) {
      metrics.attemptDuration.observe({ outcome: attemptOutcome(outcome, verdict) }, outcome.durationMs / 1000);
    },
    firstAttempt(tenantId, acceptedAt, endedAt) {
      // Clocks of the Temporal server and this worker may differ by a little: never below zero.
      metrics.firstAttemptLatency.observe({ tenant: tenantOf(tenantId) }, Math.max(0, endedAt - acceptedAt) / 1000);
    },
    matching(seconds) {
      metrics.matchingDuration.observe(seconds);
    },
  };
}
