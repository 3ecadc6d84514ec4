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

/**
 * The bucket's clock: never earlier than its last refill. An acquire reads `now` before it waits
 * for the endpoint's lock; when another process refilled the bucket meanwhile, that `now` is in
 * the bucket's past. Refilling from it adds nothing, but saving it as `refilled_at` would move the
 * clock back and the next refill would count the same time twice: more tokens than the limit
 * (found with 3 workers on one PostgreSQL store: 17 requests in one second under 5/s, burst 5).
 */
export function bucketNow(now: number, refilledAt: number): number {
  return Math.max(now, refilledAt);
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

/** What a refused acquire knows when it estimates how long to wait. */
export interface WaitInput {
  now: number;
  rate?: { perSecond: number; burst: number };
  /** Tokens in the bucket now (refilled). */
  tokens: number;
  rateOk: boolean;
  concurrencyOk: boolean;
  /** The latest wake-up among the other waiters; null when there is none or this waiter is returning. */
  lastWake: number | null;
  /** Waiters counted for the endpoint, this one included. */
  waiters: number;
  /** The effective concurrency limit. */
  limit: number;
  /** The moving average hold time of a lease; 0 when none was released yet. */
  avgHoldMs: number;
}

/**
 * How long a refused acquire waits before asking again. Every store answers the same, so the
 * waiters are spread out alike whichever keeps the state: they do not all wake for one token.
 */
export function waitEstimate(input: WaitInput, random: () => number = Math.random): number {
  let waitMs = 0;
  if (!input.rateOk && input.rate) {
    const interval = 1000 / input.rate.perSecond;
    const untilToken = Math.ceil(((1 - input.tokens) * 1000) / input.rate.perSecond);
    // A newcomer queues behind the waiters already there; a returning one (its turn came and
    // another took the token) goes first.
    waitMs = Math.max(untilToken, input.lastWake === null ? 0 : Math.ceil(input.lastWake + interval - input.now));
  }
  if (!input.concurrencyOk) {
    // About one hold time per `limit` waiters ahead, with jitter so waiters do not wake together.
    const hold = input.avgHoldMs > 0 ? input.avgHoldMs : 100;
    const estimate = hold * Math.ceil(input.waiters / input.limit) * (0.75 + random() / 2);
    waitMs = Math.max(waitMs, Math.round(Math.min(CONCURRENCY_WAIT_MAX_MS, Math.max(CONCURRENCY_WAIT_MIN_MS, estimate))));
  }
  // Bounded, so no stored setting can ask the workflow for an endless (or non-finite) timer.
  return Math.min(FLOW_WAIT_MAX_MS, Math.max(1, waitMs));
}

/** Floating-point slack when asking whether a refilled bucket holds a whole token. */
export const TOKEN_EPSILON = 1e-9;

/** What a store keeps of an endpoint's concurrency between releases. */
export interface ConcurrencyState {
  concurrency: number;
  /** Epoch ms of the last halving. */
  decreasedAt: number;
  /** Moving average of how long a lease is held; 0 before the first release. */
  avgHoldMs: number;
}

/** The concurrency state after a lease acquired at `acquiredAt` is given back at `now` with `signal`. */
export function afterRelease(state: ConcurrencyState, acquiredAt: number, signal: FlowSignal, maxConcurrency: number, now: number): ConcurrencyState {
  const hold = Math.max(0, now - acquiredAt);
  const avgHoldMs = state.avgHoldMs > 0 ? state.avgHoldMs * 0.8 + hold * 0.2 : hold;
  let concurrency = effectiveConcurrency(state.concurrency, maxConcurrency);
  let decreasedAt = state.decreasedAt;
  // Halve once per round of requests: a request sent before the last decrease says nothing new.
  if (signal === 'congested' && acquiredAt >= state.decreasedAt) {
    concurrency = nextConcurrency(concurrency, 'congested', maxConcurrency);
    decreasedAt = now;
  } else if (signal === 'success') {
    concurrency = nextConcurrency(concurrency, 'success', maxConcurrency);
  }
  return { concurrency, decreasedAt, avgHoldMs };
}
