import { MAX_CONCURRENCY_DEFAULT, resolveRetry, type Endpoint } from './endpoint';
import type { PostOutcome } from '../http/webhookClient';
import type { FlowLimits, FlowSignal } from '../store/store';

/**
 * Flow control of an endpoint (docs/flow-control.md): what its settings ask of the store,
 * and what an attempt's outcome says about the receiver. Pure, so the rules are unit-tested.
 */

/** A lease outlives the activity's own timeout (attemptTimeoutMs + 5 s), then frees itself. */
const LEASE_MARGIN_MS = 10_000;

export function maxConcurrencyOf(endpoint: Pick<Endpoint, 'maxConcurrency'>): number {
  return endpoint.maxConcurrency ?? MAX_CONCURRENCY_DEFAULT;
}

export function flowLimitsOf(endpoint: Pick<Endpoint, 'rateLimit' | 'maxConcurrency' | 'retry'>): FlowLimits {
  const { rateLimit } = endpoint;
  return {
    ...(rateLimit ? { rate: { perSecond: rateLimit.perSecond, burst: rateLimit.burst ?? Math.max(1, Math.ceil(rateLimit.perSecond)) } } : {}),
    maxConcurrency: maxConcurrencyOf(endpoint),
    leaseMs: resolveRetry(endpoint.retry).attemptTimeoutMs + LEASE_MARGIN_MS,
  };
}

/**
 * 429 and 503 (the receiver asks for less), and an answer slower than half the attempt timeout
 * (a timeout included), are congestion; a 2xx in time is success; anything else says nothing.
 */
export function flowSignalOf(outcome: Pick<PostOutcome, 'ok' | 'statusCode' | 'durationMs' | 'failure'>, attemptTimeoutMs: number): FlowSignal {
  if (outcome.statusCode === 429 || outcome.statusCode === 503) return 'congested';
  if (outcome.failure === 'timeout' || outcome.durationMs > attemptTimeoutMs / 2) return 'congested';
  return outcome.ok ? 'success' : 'neutral';
}
