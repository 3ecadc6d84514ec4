import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import {
  DEFAULT_TENANT_ID,
  FAILURE_TYPES,
  isOperational,
  splitTenantWorkflowId,
  type Activities,
  type AttemptReport,
  type CallbackEvent,
  type DeliverInput,
  type DeliveryJobKind,
  type DeliveryStatus,
  type EndpointState,
  type JoinCoalescerInput,
  type JoinSequenceInput,
  type MatchedEndpoint,
  type ThrottleReport,
} from '../workflows/contract';
import type { EventType } from '../src/domain/catalog';
import { AUTO_DISABLE_AFTER_MS_DEFAULT, ORDERING_WINDOW_MS_DEFAULT, resolveRetry, REVIEW_WINDOW_MS_DEFAULT, type Endpoint } from '../src/domain/endpoint';
import type { DeliveryListing } from '../src/temporal/deliveryListing';
import type { EventGateway } from '../src/temporal/eventGateway';
import { parseDeliveryId } from '../src/domain/ids';
import { CallbackEventsError } from '../src/errors';
import type { TransformRunner } from '../src/transforms/pool';
import { compileFilter } from '../src/domain/filter';
import type { WebhookClient } from '../src/http/webhookClient';
import { nextDelayMs, verdictOf } from '../src/domain/retryPolicy';
import { eventBody, requestHeaders } from '../src/domain/outgoing';
import { hasCode } from '../src/errors';
import type { FlowLease, Store } from '../src/store/store';
import { flowLimitsOf, flowSignalOf, maxConcurrencyOf } from '../src/domain/flow';
import type { AttemptMetrics } from '../src/metrics/attempts';
import type { References } from '../src/domain/references';
import { batchBody, createBatchActivities, recordMemberAttempts } from './batching';
import { createCallContextSteps } from './callContext';
import { deliveryReferencer } from './references';
import { createTenantDeletionActivities } from './tenantDeletion';
import { activityTenants, type TenantServicesFactory } from './tenants';
import type { Tracer } from '@opentelemetry/api';
import { tracedAttempt } from '../src/telemetry/attemptSpan';

export interface ActivityDeps {
  store: Store;
  http: WebhookClient;
  /** Starts events' workflows (operational events go through the same pipeline) and acts on deliveries. */
  events: EventGateway;
  deliveries: DeliveryListing;
  /** The process's transform threads (src/transforms/pool.ts): a runaway expression stops there. */
  transforms: TransformRunner;
  /** Mints the reference URLs approved endpoints get in place of links to call data. */
  references: References;
  /** Another tenant's events and deliveries (TemporalServices.forTenant); absent, only the default tenant's are reached. */
  forTenant?: TenantServicesFactory;
  /** Attempt durations and first-attempt latency (src/metrics/); absent: not measured. */
  metrics?: AttemptMetrics;
  /** Traces on (docs/tracing.md): each attempt is a span, and endpoints with `sendTraceparent` get it. */
  tracer?: Tracer;
}

// Kept here too: tests and older imports take the body builder from the activities.
export { webhookBody } from '../src/domain/outgoing';

/** Operational events reach only endpoints that name them; "all types" means all call events. */
function subscribes(endpoint: Endpoint, type: string): boolean {
  if (endpoint.eventTypes) return endpoint.eventTypes.includes(type as EventType);
  return !isOperational(type);
}

export function createActivities({ store, http, events, deliveries, transforms, references, forTenant, metrics, tracer }: ActivityDeps): Activities {
  const tenants = activityTenants(store, { events, deliveries, forTenant });
  /** The gateway of the endpoint's tenant: the workflows it signal-with-starts carry that tenant. */
  const endpointEvents = async (endpointId: string) => (await tenants.ofEndpoint(endpointId, DEFAULT_TENANT_ID))!.events;

  // Filters are compiled once per endpoint version, not once per event.
  const compiled = new Map<string, { version: string; test: (event: unknown) => boolean }>();
  function matchesFilter(endpoint: Endpoint, event: unknown): boolean {
    if (!endpoint.filter) return true;
    let entry = compiled.get(endpoint.id);
    if (entry?.version !== endpoint.updatedAt) {
      entry = { version: endpoint.updatedAt, test: compiledOrNothing(endpoint) };
      compiled.set(endpoint.id, entry);
    }
    return entry.test(event);
  }
  const callContext = createCallContextSteps(store);
  /**
   * A filter stored before its regex had to run on RE2 (a backreference, a lookaround) no longer
   * compiles: it matches nothing until the endpoint is patched, and says so once per version,
   * rather than failing the match of every endpoint's events.
   */
  function compiledOrNothing(endpoint: Endpoint): (event: unknown) => boolean {
    try {
      return compileFilter(endpoint.filter!);
    } catch (err) {
      if (!hasCode(err, 'invalid_filter')) throw err;
      log.warn(`endpoint ${endpoint.id} matches nothing: its filter no longer compiles (${err.message}); patch its filter`);
      return () => false;
    }
  }

  function toMatch(endpoint: Endpoint): MatchedEndpoint {
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

  function fail(type: string, report: AttemptReport, options: { nonRetryable?: boolean; nextRetryDelay?: number } = {}): never {
    throw ApplicationFailure.create({ type, message: report.message, details: [report], ...options });
  }

  /**
   * Flow control: a slot (a token and a concurrency lease) from the shared store, else a
   * non-retryable `Throttled` failure that tells the workflow how long to wait. No attempt is
   * made or logged then; benign, so the SDK logs it at debug level only.
   */
  async function acquireSlot(endpoint: Endpoint, deliveryId: string, attempt: number, activityAttempt: number): Promise<FlowLease> {
    const grant = await store.acquireFlowSlot(endpoint.id, deliveryId, flowLimitsOf(endpoint));
    if (grant.granted) return grant.lease;
    const details: ThrottleReport = { lastAttempt: attempt - 1, made: activityAttempt - 1, waitMs: grant.waitMs, reason: grant.reason };
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.throttled,
      message: `no slot under the endpoint's ${grant.reason === 'rate' ? 'rate limit' : 'concurrency limit'}; waiting ${grant.waitMs} ms`,
      details: [details],
      nonRetryable: true,
      category: ApplicationFailureCategory.BENIGN,
    });
  }

  /** Disables the endpoint once; answers the reason when this call did it. */
  async function disable(endpoint: Endpoint, reason: string): Promise<string | undefined> {
    return (await store.disableEndpoint(endpoint.id, reason)) ? reason : undefined;
  }

  return {
    ...createBatchActivities({ tenants }),
    ...createTenantDeletionActivities({ tenants }),

    /**
     * Endpoints that take this event: subscribed to its type, and whose filter holds. Disabled
     * endpoints match too: their deliveries are held, not dropped.
     */
    async matchEndpoints({ event, onlyEndpointId, tenantId = DEFAULT_TENANT_ID }: { event: CallbackEvent; onlyEndpointId?: string; tenantId?: string }): Promise<MatchedEndpoint[]> {
      // Only the event's tenant's endpoints, whatever a filter says: the tenant is a hard boundary.
      if (onlyEndpointId) {
        const endpoint = await store.getEndpoint(onlyEndpointId, tenantId);
        return endpoint ? [toMatch(endpoint)] : [];
      }
      const filterable = { id: event.id, type: event.type, timestamp: event.occurredAt, data: event.data };
      return (await store.listEndpoints(tenantId))
        .filter((e) => subscribes(e, event.type) && matchesFilter(e, filterable))
        .map(toMatch);
    },

    async endpointState(endpointId: string): Promise<EndpointState> {
      const endpoint = await store.getEndpoint(endpointId);
      if (!endpoint) return 'deleted';
      return endpoint.disabled ? 'disabled' : 'enabled';
    },

    /**
     * One attempt: read the endpoint as it is now (url, secret, scope), scope, sign, post, log the
     * attempt, and tell the workflow what comes next. Secrets stay in here, out of workflow history.
     */
    async deliver(input: DeliverInput): Promise<AttemptReport> {
      const { event, endpointId, deliveryId, target, url, attemptOffset, seriesOffset } = input;
      const { attempt: activityAttempt, workflowExecution } = activityInfo();
      const attempt = attemptOffset + activityAttempt;
      const report = (fields: Omit<AttemptReport, 'attempt' | 'at'>): AttemptReport => ({
        attempt,
        at: new Date().toISOString(),
        ...fields,
      });
      const endpoint = await store.getEndpoint(endpointId);
      if (!endpoint) fail(FAILURE_TYPES.endpointDeleted, report({ message: `endpoint ${endpointId} was deleted` }), { nonRetryable: true });
      if (endpoint.disabled) {
        const message = endpoint.disabledReason ?? 'the endpoint is disabled';
        fail(FAILURE_TYPES.endpointDisabled, report({ message }), { nonRetryable: true });
      }
      const targetUrl = url ?? (target === 'fallback' ? endpoint.fallbackUrl : endpoint.url);
      if (!targetUrl) fail(FAILURE_TYPES.noFallback, report({ message: `endpoint ${endpointId} has no fallback url` }), { nonRetryable: true });

      const retry = resolveRetry(endpoint.retry);
      // A batch's `event` is the batch itself: its id is the webhook-id, and the body lists the events.
      // Batched endpoints take no transform (the API refuses the pair), so a batch body is never transformed.
      // The call's context is read now, so what was captured since the event arrived goes with it.
      // Call ids and referenced links are the endpoint's tenant's own.
      const tenantId = (await store.tenantOfEndpoint(endpoint.id)) ?? DEFAULT_TENANT_ID;
      const referencer = deliveryReferencer(store, references, endpoint, tenantId);
      const body = input.batch
        ? await batchBody(event.id, await callContext.batchWithContext(input.batch, tenantId), endpoint, referencer)
        : await eventBody(endpoint, await callContext.withContext(event, tenantId), transforms, referencer, { outOfOrder: input.outOfOrder }).catch((err: unknown) => {
            // Retrying would fail the same way: no request is sent; the delivery goes to review
            // until an operator fixes the expression and resends. The output never leaves here.
            if (hasCode(err, 'transform_failed', 'invalid_transform')) {
              fail(FAILURE_TYPES.transformFailed, report({ message: `transform_failed: ${err.message}` }), { nonRetryable: true });
            }
            throw err;
          });
      const lease = await acquireSlot(endpoint, deliveryId, attempt, activityAttempt);
      const captures = callContext.captures(endpoint, event, target, input.batch);
      const startedAt = new Date();
      const attemptFacts = { endpointId, deliveryId, attempt, target, sendTraceparent: Boolean(endpoint.sendTraceparent) };
      const outcome = await tracedAttempt(
        tracer,
        attemptFacts,
        (traceparent) =>
          http.post({
            url: targetUrl,
            headers: requestHeaders(endpoint, event.id, body, { traceparent }),
            body,
            timeoutMs: retry.attemptTimeoutMs,
            keepWholeBody: captures,
          }),
        (o) => ({ statusCode: o.statusCode, outcome: verdictOf(o, retry.retryAllErrors), failure: o.failure }),
      )
        .catch(async (err: unknown) => {
          await store.releaseFlowSlot(endpoint.id, lease, 'neutral', maxConcurrencyOf(endpoint));
          throw err;
        });
      // Only the endpoint's own url speaks for its congestion (AIMD), as for its health below.
      const flowSignal = target === 'primary' && url === undefined ? flowSignalOf(outcome, retry.attemptTimeoutMs) : 'neutral';
      await store.releaseFlowSlot(endpoint.id, lease, flowSignal, maxConcurrencyOf(endpoint));
      const logged = {
        target,
        url: targetUrl,
        startedAt: startedAt.toISOString(),
        durationMs: outcome.durationMs,
        statusCode: outcome.statusCode,
        failure: outcome.failure,
        responseBody: outcome.responseBody,
      };
      await store.recordAttempt({ deliveryId, attempt, ...logged });
      // A batch's attempt is each of its events' attempt too, so every member's log shows it.
      if (input.batch) await recordMemberAttempts(store, input.batch, attempt, logged);
      const result = report({ statusCode: outcome.statusCode, failure: outcome.failure, message: outcome.message });
      const verdict = verdictOf(outcome, retry.retryAllErrors);
      metrics?.attempt(outcome, verdict);
      if (attempt === 1 && input.acceptedAt !== undefined && !input.batch) {
        // The event workflow's id names its tenant (tenantWorkflowId).
        metrics?.firstAttempt(splitTenantWorkflowId(workflowExecution?.workflowId ?? '').tenantId, input.acceptedAt, Date.now());
      }

      // Only the endpoint's own url speaks for its health; a fallback or one-off url does not.
      const ownUrl = target === 'primary' && url === undefined;
      const health = ownUrl ? await store.noteEndpointOutcome(endpoint.id, verdict === 'delivered', startedAt) : {};
      if (verdict === 'delivered') {
        // Before the activity completes: with ordering per call, the call's next event waits for this.
        if (captures) await callContext.capture(endpoint, event, outcome.wholeBody, startedAt, tenantId);
        return result;
      }

      if (verdict === 'gone' && ownUrl) {
        result.disabledEndpoint = await disable(endpoint, 'the receiver answered 410 Gone');
        fail(FAILURE_TYPES.endpointGone, result, { nonRetryable: true });
      }
      const autoDisableAfterMs = endpoint.autoDisableAfterMs ?? AUTO_DISABLE_AFTER_MS_DEFAULT;
      if (health.failingSince && startedAt.getTime() - health.failingSince.getTime() >= autoDisableAfterMs) {
        const reason = `every attempt failed since ${health.failingSince.toISOString()}`;
        result.disabledEndpoint = (await disable(endpoint, reason)) ?? reason;
        fail(FAILURE_TYPES.endpointDisabled, result, { nonRetryable: true });
      }
      // A refused target stays refused: no retries (retryAllErrors included); fallback, then review.
      if (outcome.failure === 'blocked') fail(FAILURE_TYPES.targetBlocked, result, { nonRetryable: true });
      if (verdict === 'retry') {
        result.nextDelayMs = nextDelayMs(retry, seriesOffset + activityAttempt, outcome, startedAt);
        fail(FAILURE_TYPES.attemptFailed, result, { nextRetryDelay: result.nextDelayMs });
      }
      fail(FAILURE_TYPES.attemptRejected, result, { nonRetryable: true });
    },

    /** Ordering per call: joins the call's sequencer by signal-with-start (workflows/callSequencer.ts). */
    async joinSequence(input: JoinSequenceInput): Promise<{ sequencerId: string }> {
      return (await endpointEvents(input.endpointId)).joinSequence(input);
    },

    /** Coalescing: joins the (endpoint, call, type) coalescer by signal-with-start (workflows/coalescer.ts). */
    async joinCoalescer(input: JoinCoalescerInput): Promise<{ coalescerId: string }> {
      return (await endpointEvents(input.endpointId)).joinCoalescer(input);
    },

    /** Starts an operational event's workflow; idempotent by the event id the workflow chose. */
    async emitEvent(event: CallbackEvent, tenantId?: string): Promise<void> {
      const endpointId = event.data.endpointId;
      const services = typeof endpointId === 'string' ? await tenants.ofEndpoint(endpointId, tenantId) : tenants.of(tenantId);
      // About an endpoint that is gone, from a workflow that names no tenant: no tenant to tell.
      await services?.events.start({ event });
    },

    /** One page of an endpoint's deliveries in one status, for a bulk job. */
    async findDeliveries({
      filter,
      cursor,
      tenantId,
    }: {
      filter: { endpointId?: string; status: DeliveryStatus; since?: string; until?: string };
      cursor?: string;
      tenantId?: string;
    }): Promise<{ ids: string[]; nextCursor?: string }> {
      const page = await tenants.of(tenantId).deliveries.list(
        {
          endpointId: filter.endpointId,
          status: filter.status,
          since: filter.since ? new Date(filter.since) : undefined,
          until: filter.until ? new Date(filter.until) : undefined,
        },
        { cursor, limit: 500 },
      );
      return { ids: page.data.map((d) => d.id), nextCursor: page.nextCursor };
    },

    /** Applies a bulk job's action to a batch; a delivery that moved on meanwhile counts as failed. */
    async actOnDeliveries({
      kind,
      deliveryIds,
      reason,
      tenantId,
    }: {
      kind: DeliveryJobKind;
      deliveryIds: string[];
      reason?: string;
      tenantId?: string;
    }): Promise<{ done: number; failed: number }> {
      const { events } = tenants.of(tenantId);
      const results = await Promise.allSettled(
        deliveryIds.map(async (id) => {
          const ids = parseDeliveryId(id);
          if (!ids) throw new CallbackEventsError('not_found', `not a delivery id: ${id}`);
          if (kind === 'recover') await events.resend(ids.eventId, ids.endpointId);
          else if (kind === 'release') await events.release(ids.eventId, ids.endpointId);
          else await events.discard(ids.eventId, ids.endpointId, reason);
        }),
      );
      const done = results.filter((r) => r.status === 'fulfilled').length;
      return { done, failed: results.length - done };
    },

    /** The last step of deleting a tenant: removes its endpoints, keys, attempt log and the tenant itself. */
    async purgeTenant({ tenantId }: { tenantId: string }): Promise<{ endpoints: number; attempts: number }> {
      return store.purgeTenant(tenantId);
    },

    /** Deletes attempt-log rows older than the retention period. */
    async purgeAttempts({ retentionDays }: { retentionDays: number }): Promise<number> {
      return store.purgeAttempts(new Date(Date.now() - retentionDays * 86_400_000));
    },

    /** Deletes the context of calls whose last capture is older than the retention period (the attempt log's). */
    async purgeCallContext({ retentionDays }: { retentionDays: number }): Promise<number> {
      return store.purgeCallContext(new Date(Date.now() - retentionDays * 86_400_000));
    },

    /** Deletes referenced links whose references have all expired. */
    async purgeReferencedLinks(): Promise<number> {
      return store.purgeReferencedLinks(new Date());
    },
  };
}
