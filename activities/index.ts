import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { EventType } from '../src/catalog';
import { resolveRetry, type Endpoint, type EndpointWithSecret } from '../src/endpoint';
import { compileFilter } from '../src/filter';
import type { WebhookClient } from '../src/http/webhookClient';
import { scopeData } from '../src/scope';
import { signatureHeaders } from '../src/signing';
import type { Store } from '../src/store/store';
import { USER_AGENT } from '../src/version';
import { FAILURE_TYPES } from '../workflows/failures';
import type { AttemptReport, CallbackEvent, DeliverInput, MatchedEndpoint } from '../workflows/types';

export interface ActivityDeps {
  store: Store;
  http: WebhookClient;
}

/** The body receivers get: Standard Webhooks' `{ type, timestamp, data }` plus the event id. */
export function webhookBody(event: CallbackEvent, data: Record<string, unknown>): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.occurredAt, data });
}

function requestHeaders(endpoint: EndpointWithSecret, msgId: string, body: string): Record<string, string> {
  const auth: Record<string, string> =
    endpoint.auth?.type === 'bearer'
      ? { authorization: `Bearer ${endpoint.auth.token}` }
      : endpoint.auth?.type === 'header'
        ? { [endpoint.auth.name.toLowerCase()]: endpoint.auth.value }
        : {};
  return {
    ...endpoint.headers,
    ...auth,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signatureHeaders(endpoint.secret, msgId, body),
  };
}

export function createActivities({ store, http }: ActivityDeps) {
  // Filters are compiled once per endpoint version, not once per event.
  const compiled = new Map<string, { version: string; test: (event: unknown) => boolean }>();
  function matchesFilter(endpoint: Endpoint, event: unknown): boolean {
    if (!endpoint.filter) return true;
    let entry = compiled.get(endpoint.id);
    if (entry?.version !== endpoint.updatedAt) {
      entry = { version: endpoint.updatedAt, test: compileFilter(endpoint.filter) };
      compiled.set(endpoint.id, entry);
    }
    return entry.test(event);
  }

  function toMatch(endpoint: Endpoint): MatchedEndpoint {
    return { endpointId: endpoint.id, retry: resolveRetry(endpoint.retry), hasFallback: Boolean(endpoint.fallbackUrl) };
  }

  function fail(type: string, report: AttemptReport, nonRetryable = false): never {
    throw ApplicationFailure.create({ type, message: report.message, details: [report], nonRetryable });
  }

  return {
    /** Endpoints that take this event: enabled, subscribed to its type, and whose filter holds. */
    async matchEndpoints({ event, onlyEndpointId }: { event: CallbackEvent; onlyEndpointId?: string }): Promise<MatchedEndpoint[]> {
      if (onlyEndpointId) {
        const endpoint = await store.getEndpoint(onlyEndpointId);
        return endpoint ? [toMatch(endpoint)] : [];
      }
      const filterable = { id: event.id, type: event.type, timestamp: event.occurredAt, data: event.data };
      return (await store.listEndpoints())
        .filter((e) => !e.disabled)
        .filter((e) => !e.eventTypes || e.eventTypes.includes(event.type as EventType))
        .filter((e) => matchesFilter(e, filterable))
        .map(toMatch);
    },

    /**
     * One attempt: read the endpoint as it is now (url, secret, scope), scope, sign and post.
     * Secrets stay in here and never enter workflow history.
     */
    async deliver({ event, endpointId, target, url, attemptOffset }: DeliverInput): Promise<AttemptReport> {
      const attempt = attemptOffset + activityInfo().attempt;
      const report = (fields: Omit<AttemptReport, 'attempt' | 'at'>): AttemptReport => ({
        attempt,
        at: new Date().toISOString(),
        ...fields,
      });
      const endpoint = await store.getEndpoint(endpointId);
      if (!endpoint) fail(FAILURE_TYPES.endpointDeleted, report({ message: `endpoint ${endpointId} was deleted` }), true);
      if (endpoint.disabled) fail(FAILURE_TYPES.endpointDisabled, report({ message: `endpoint ${endpointId} is disabled` }), true);
      const targetUrl = url ?? (target === 'fallback' ? endpoint.fallbackUrl : endpoint.url);
      if (!targetUrl) fail(FAILURE_TYPES.noFallback, report({ message: `endpoint ${endpointId} has no fallback url` }), true);

      const body = webhookBody(event, scopeData(event.type as EventType, event.data, endpoint.payloadScope));
      const outcome = await http.post({
        url: targetUrl,
        headers: requestHeaders(endpoint, event.id, body),
        body,
        timeoutMs: resolveRetry(endpoint.retry).attemptTimeoutMs,
      });
      const result = report({ statusCode: outcome.statusCode, failure: outcome.failure, message: outcome.message });
      if (!outcome.ok) fail(FAILURE_TYPES.attemptFailed, result);
      return result;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
