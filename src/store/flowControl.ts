import type { FlowSignal } from './store';

/**
 * Flow-control arithmetic every store shares: the token bucket, the AIMD concurrency and the
 * bounds of a wait. The stores keep the state; these say how it moves.
 */

/** A waiter still counts as queued this long after its wake-up time (the workflow's round trip). */
export const WAITER_SLACK_MS = 5_000;
/** Bounds of a wait for a concurrency slot (no one knows when a lease frees; it is estimated). */
export const CONCURRENCY_WAIT_MIN_MS = 20;
export const CONCURRENCY_WAIT_MAX_MS = 5_000;
/** The longest a delivery waits for a slot before asking again. */
export const FLOW_WAIT_MAX_MS = 3_600_000;

/** The token bucket refilled up to `now`: `perSecond` a second, never above `burst`. */
export function refill(tokens: number, refilledAt: number, now: number, rate: { perSecond: number; burst: number }): number {
  const elapsed = Math.max(0, now - refilledAt);
  return Math.min(rate.burst, tokens + (elapsed * rate.perSecond) / 1000);
}

/** The effective limit: whole requests, at least 1, at most maxConcurrency. */
export function effectiveConcurrency(stored: number | undefined, maxConcurrency: number): number {
  if (stored === undefined) return maxConcurrency;
  return Math.max(1, Math.min(maxConcurrency, Math.floor(stored)));
}

/** AIMD: halve on congestion, add one on success, between 1 and maxConcurrency. */
export function nextConcurrency(current: number, signal: FlowSignal, maxConcurrency: number): number {
  const c = effectiveConcurrency(current, maxConcurrency);
  if (signal === 'congested') return Math.max(1, Math.floor(c / 2));
  if (signal === 'success') return Math.min(maxConcurrency, c + 1);
  return c;
}
