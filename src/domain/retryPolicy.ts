import type { RetrySettings } from './endpoint';
import type { PostOutcome } from '../http/webhookClient';

/**
 * How an attempt's outcome steers what comes next, and how long to wait before the next try.
 * Pure, so the rules are unit-tested apart from HTTP and Temporal.
 */

export type Verdict =
  /** 2xx */
  | 'delivered'
  /** Connection errors, timeouts, 408, 425, 429 and 5xx: try again under the policy. */
  | 'retry'
  /** Other 3xx and 4xx: a receiver that refuses will refuse again; skip to fallback and review. */
  | 'reject'
  /** 410: the receiver says the endpoint is gone for good. */
  | 'gone';

const RETRYABLE_STATUS = new Set([408, 425, 429]);

export function verdictOf(outcome: Pick<PostOutcome, 'ok' | 'statusCode'>, retryAllErrors: boolean): Verdict {
  if (outcome.ok) return 'delivered';
  const status = outcome.statusCode;
  if (status === undefined) return 'retry';
  if (status === 410) return 'gone';
  if (status >= 500 || RETRYABLE_STATUS.has(status) || retryAllErrors) return 'retry';
  return 'reject';
}

/** The policy's delay after the n-th attempt of a series (n from 1), before jitter. */
export function scheduledDelayMs(retry: RetrySettings, attemptInSeries: number): number {
  const delay = retry.initialIntervalMs * retry.backoffCoefficient ** (attemptInSeries - 1);
  return Math.min(delay, retry.maxIntervalMs);
}

export const JITTER = 0.2;

/** ±20 %, so receivers recovering from an outage are not hit by a synchronized wave. */
export function jittered(delayMs: number, maxIntervalMs: number, random: () => number = Math.random): number {
  const factor = 1 - JITTER + 2 * JITTER * random();
  return Math.max(1, Math.min(Math.round(delayMs * factor), maxIntervalMs));
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from `now`; undefined when unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP date names its month; V8's lenient Date.parse would read "1.5" or "-1" as days in 2001.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The wait before the next attempt. A 429 or 503 with `Retry-After` sets it, clamped between the
 * policy's next interval and `maxIntervalMs`; otherwise the policy's interval with jitter.
 */
export function nextDelayMs(
  retry: RetrySettings,
  attemptInSeries: number,
  outcome: Pick<PostOutcome, 'statusCode' | 'retryAfter'>,
  now: Date,
  random: () => number = Math.random,
): number {
  const scheduled = scheduledDelayMs(retry, attemptInSeries);
  if (outcome.statusCode === 429 || outcome.statusCode === 503) {
    const asked = parseRetryAfter(outcome.retryAfter, now);
    if (asked !== undefined) return Math.min(Math.max(asked, scheduled), retry.maxIntervalMs);
  }
  return jittered(scheduled, retry.maxIntervalMs, random);
}
