import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log';

/**
 * Processes come and go, and so does Temporal: a worker or an API started while Temporal restarts
 * (a rolling deploy) waits for it rather than exiting, which could leave no worker at all. Each
 * failed attempt is logged once, at warn, naming the address and when the next attempt comes;
 * the wait between attempts doubles from `firstDelayMs` up to `maxDelayMs`.
 */

export interface WaitOptions {
  address: string;
  log: Logger;
  /** Aborted on SIGTERM/SIGINT: the wait ends at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** The next wait: doubled, capped. */
export function nextDelay(delayMs: number, maxDelayMs: number): number {
  return Math.min(delayMs * 2, maxDelayMs);
}

/** Runs `attempt` until it succeeds (or `signal` aborts); answers what it answered. */
export async function waitForTemporal<T>(attempt: () => Promise<T>, o: WaitOptions): Promise<T> {
  const maxDelayMs = o.maxDelayMs ?? 10_000;
  let delayMs = o.firstDelayMs ?? 500;
  for (let attempts = 1; ; attempts++) {
    o.signal?.throwIfAborted();
    try {
      const answer = await attempt();
      if (attempts > 1) o.log.info('Temporal answers', { address: o.address, attempts });
      return answer;
    } catch (err) {
      o.signal?.throwIfAborted();
      o.log.warn(`waiting for Temporal at ${o.address}`, {
        address: o.address,
        attempt: attempts,
        retryInMs: delayMs,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    // The timer rejects with a bare AbortError on abort; callers get the signal's own reason.
    await sleep(delayMs, undefined, { signal: o.signal }).catch(() => o.signal?.throwIfAborted());
    delayMs = nextDelay(delayMs, maxDelayMs);
  }
}
