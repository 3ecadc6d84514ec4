import { log } from '@temporalio/activity';
import { DEFAULT_TENANT_ID, isOperational, type CallbackEvent, type MatchedEndpoint } from '../workflows/contract';
import { ORDERING_WINDOW_MS_DEFAULT, resolveRetry, REVIEW_WINDOW_MS_DEFAULT } from '../src/domain/endpoint';
import { compileFilter } from '../src/domain/filter';
import { hasCode } from '../src/errors';
import type { Store } from '../src/store/store';
import { ALL_CALL_EVENTS, type MatchCandidate } from '../src/store/subscriptions';

/**
 * Matching, the event workflow's first step: the endpoints that take an event. It reads only the
 * candidates, the event's tenant's endpoints subscribed to its type, from the store's subscription
 * index, and opens no secret (delivery reads those, for the one endpoint it posts to). Its cost
 * follows the tenant's subscribers to the type, not the number of endpoints on the platform.
 */

export interface MatchInput {
  event: CallbackEvent;
  /** A resend to this endpoint alone: it is matched whatever its subscriptions and filter. */
  onlyEndpointId?: string;
  tenantId?: string;
}

export interface MatchingDeps {
  store: Pick<Store, 'matchCandidates' | 'matchCandidate'>;
  /** Told how long each match took (the index read and the filters), in seconds. */
  observe?: (seconds: number) => void;
}

/** The index keys an event's type is found under: operational events reach only endpoints that name them. */
export function subscriptionKeysFor(type: string): string[] {
  return isOperational(type) ? [type] : [type, ALL_CALL_EVENTS];
}

export function createMatching({ store, observe }: MatchingDeps) {
  // Filters are compiled once per endpoint version, not once per event. The version is the filter
  // as stored, read with the candidate: an edit by any process (another worker, an API) is seen at
  // the next event, even two edits within one millisecond (which updatedAt would not tell apart).
  const compiled = new Map<string, { version: string; test: (event: unknown) => boolean }>();

  function matchesFilter(endpoint: MatchCandidate, event: unknown): boolean {
    if (!endpoint.filter) return true;
    const key = `${endpoint.tenantId}\n${endpoint.id}`;
    const version = JSON.stringify(endpoint.filter);
    let entry = compiled.get(key);
    if (entry?.version !== version) {
      entry = { version, test: compiledOrNothing(endpoint) };
      compiled.set(key, entry);
    }
    return entry.test(event);
  }

  /**
   * A filter stored before its regex had to run on RE2 (a backreference, a lookaround) no longer
   * compiles: it matches nothing until the endpoint is patched, and says so once per version,
   * rather than failing the match of every endpoint's events.
   */
  function compiledOrNothing(endpoint: MatchCandidate): (event: unknown) => boolean {
    try {
      return compileFilter(endpoint.filter!);
    } catch (err) {
      if (!hasCode(err, 'invalid_filter')) throw err;
      log.warn(`endpoint ${endpoint.id} matches nothing: its filter no longer compiles (${err.message}); patch its filter`);
      return () => false;
    }
  }

  return {
    /**
     * Endpoints that take this event: subscribed to its type, and whose filter holds. Disabled
     * endpoints match too: their deliveries are held, not dropped. Only the event's tenant's
     * endpoints, whatever a filter says: the tenant is a hard boundary.
     */
    async matchEndpoints({ event, onlyEndpointId, tenantId = DEFAULT_TENANT_ID }: MatchInput): Promise<MatchedEndpoint[]> {
      const started = process.hrtime.bigint();
      try {
        if (onlyEndpointId) {
          const endpoint = await store.matchCandidate(onlyEndpointId, tenantId);
          return endpoint ? [toMatch(endpoint)] : [];
        }
        const filterable = { id: event.id, type: event.type, timestamp: event.occurredAt, data: event.data };
        const candidates = await store.matchCandidates(tenantId, subscriptionKeysFor(event.type));
        return candidates.filter((e) => matchesFilter(e, filterable)).map(toMatch);
      } finally {
        observe?.(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}

/** What the workflow needs of a matched endpoint to run its delivery: no url, no secret. */
function toMatch(endpoint: MatchCandidate): MatchedEndpoint {
  return {
    endpointId: endpoint.id,
    retry: resolveRetry(endpoint.retry),
    hasFallback: Boolean(endpoint.fallbackUrl),
    reviewWindowMs: endpoint.reviewWindowMs ?? REVIEW_WINDOW_MS_DEFAULT,
    ...(endpoint.priority === 'high' ? { priority: 'high' as const } : {}),
    ...(endpoint.batch ? { batch: endpoint.batch } : {}),
    ...(endpoint.ordering === 'per_call'
      ? { ordering: 'per_call' as const, orderingWindowMs: endpoint.orderingWindowMs ?? ORDERING_WINDOW_MS_DEFAULT }
      : {}),
    ...(endpoint.coalesce ? { coalesce: endpoint.coalesce } : {}),
  };
}
