import type { DeliveryStatus } from '../../workflows/contract';

/**
 * The gauges read from Temporal visibility: how many event workflows have a delivery in each of
 * these statuses right now. A count is a query against visibility, so each is reused for a while
 * rather than asked on every scrape (every Prometheus server, every replica's dashboard).
 */

export const GAUGED_STATUSES = ['retrying', 'held', 'throttled', 'awaiting_review'] as const satisfies readonly DeliveryStatus[];

export type GaugedStatus = (typeof GAUGED_STATUSES)[number];

export type CountOf = (status: GaugedStatus) => Promise<number>;

/**
 * At most one query per status per `ttlMs`; scrapes in between share its answer, or the query
 * still in flight. A failed query is not kept: the next scrape asks again.
 */
export function cachedCounts(count: CountOf, ttlMs: number, now: () => number = () => performance.now()): CountOf {
  const cache = new Map<GaugedStatus, { at: number; value: Promise<number> }>();
  return (status) => {
    const t = now();
    const hit = cache.get(status);
    if (hit && t - hit.at < ttlMs) return hit.value;
    const value = count(status);
    cache.set(status, { at: t, value });
    value.catch(() => {
      if (cache.get(status)?.value === value) cache.delete(status);
    });
    return value;
  };
}
