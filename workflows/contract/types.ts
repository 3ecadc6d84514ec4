import type { DeliveryStatus, EventStatus } from './statuses';

/**
 * Shapes that cross the workflow boundary (inputs, results, query answers).
 * Types and constant lists only: safe to import from workflow code and from clients alike.
 */

export interface CallbackEvent {
  id: string;
  type: string;
  /** ISO 8601; the delivered `timestamp`. */
  occurredAt: string;
  data: Record<string, unknown>;
  /**
   * A sample sent by `POST /v1/endpoints/:id/test`, not something a call produced: the body says
   * `test: true` so a receiver never acts on it as real. On the event (not the deliver input) so
   * every attempt and path that builds a body for it sees the mark.
   */
  test?: true;
}

export interface CallbackEventInput {
  event: CallbackEvent;
  /** The tenant the event belongs to: it matches only this tenant's endpoints. Absent: `default`. */
  tenantId?: string;
  /** Deliver to this endpoint alone, once, with no fallback or review (endpoint tests). */
  probe?: { endpointId: string };
  /**
   * A redelivery in a new run of the event's workflow: one endpoint, a fresh attempt series,
   * and the other deliveries' final states carried over from the run before.
   */
  redeliver?: { endpointId: string; url?: string; carried: DeliverySnapshot[] };
  /**
   * `local`: plain deliveries' first attempts run as local activities in the first workflow task
   * (workflows/firstAttempt.ts). Set by whoever starts the run, so a run keeps the path it began
   * with: histories of runs started without it replay the regular path.
   */
  firstAttempt?: 'local';
}

/**
 * The workflow task timeout an event's run starts with when its first attempts may be local: long
 * enough for an endpoint's default attempt (15 s) and its slack inside the first task.
 */
export const LOCAL_FIRST_TASK_TIMEOUT_MS = 30_000;

export interface MatchedEndpoint {
  endpointId: string;
  retry: {
    maxAttempts: number;
    initialIntervalMs: number;
    backoffCoefficient: number;
    maxIntervalMs: number;
    attemptTimeoutMs: number;
  };
  hasFallback: boolean;
  reviewWindowMs: number;
  /** `high`: delivery activities run with Temporal task priority (priorityKey 1). */
  priority?: 'high';
  /** Deliver in batches (workflows/batching.ts): at most `maxSize` events, sent `maxWaitMs` after the first at the latest. */
  batch?: BatchSettings;
  /** `per_call`: the events of one call go one at a time, in occurredAt order (workflows/callSequencer.ts). */
  ordering?: 'per_call';
  /** With `ordering`: how long the first event of a burst waits for earlier ones to arrive (ms). */
  orderingWindowMs?: number;
  /** Coalescing (workflows/coalescing.ts): of a call's events of one type within `windowMs`, only the latest is delivered. */
  coalesce?: { per: 'call'; windowMs: number };
}

/** Where an attempt goes: the endpoint's url or its fallback url. */
export const DELIVERY_TARGETS = ['primary', 'fallback'] as const;
export type DeliveryTarget = (typeof DELIVERY_TARGETS)[number];

export interface DeliverInput {
  event: CallbackEvent;
  endpointId: string;
  deliveryId: string;
  target: DeliveryTarget;
  /** Overrides the endpoint's url for one resend. */
  url?: string;
  /** Attempts made before this activity, so attempt numbers run on across series and resends. */
  attemptOffset: number;
  /** Attempts of this series made before this activity, for the backoff schedule. */
  seriesOffset: number;
  /** Ordering per call: an event of the same call that occurred later was already sent; the body says so. */
  outOfOrder?: true;
  /**
   * When the event reached the service (its workflow's start, ms since the epoch), for the
   * first-attempt latency metric; absent in a redelivery run and for batches.
   */
  acceptedAt?: number;
  /**
   * A batch: `event` is then the batch itself (its id is the batch id, the `webhook-id`) and the
   * body carries these events; each attempt is logged under every member delivery too.
   */
  batch?: DeliverBatch;
}

/** What one attempt reports, on success as the result, on failure as the failure's details. */
export interface AttemptReport {
  attempt: number;
  statusCode?: number;
  failure?: string;
  message: string;
  at: string;
  /** The wait before the next attempt, when one is due (Retry-After or backoff with jitter). */
  nextDelayMs?: number;
  /** Set when this attempt disabled the endpoint (410 or auto-disable): the reason. */
  disabledEndpoint?: string;
}

export interface DeliverySnapshot {
  id: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: string;
  /** Why the delivery is in its current state, for review, hold and discard. */
  reason?: string;
  /** The batch this delivery went out in (endpoints with `batch`); its `webhook-id`. */
  batchId?: string;
  /** Status `coalesced`: the event delivered in this one's place. */
  coalescedBy?: string;
}

export interface EventSnapshot {
  id: string;
  type: string;
  status: EventStatus;
  deliveries: DeliverySnapshot[];
}

export interface ResendSignal {
  endpointId?: string;
  url?: string;
}

export interface DiscardSignal {
  endpointId?: string;
  reason?: string;
}

/** Ends every delivery of the event that is not final yet, whatever it is doing, and the workflow with it. */
export interface DiscardOpenSignal {
  reason: string;
}

export interface ReleaseSignal {
  endpointId: string;
}

export type EndpointState = 'enabled' | 'disabled' | 'deleted';

export const DELIVERY_JOB_KINDS = ['recover', 'release', 'discard_held'] as const;
export type DeliveryJobKind = (typeof DELIVERY_JOB_KINDS)[number];

/** Every job's kind: the bulk delivery jobs, and deleting a tenant (workflows/tenantDeletion.ts). */
export const JOB_KINDS = [...DELIVERY_JOB_KINDS, 'delete_tenant'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ['running', 'completed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface DeliveryJobInput {
  kind: DeliveryJobKind;
  /** The tenant whose deliveries the job acts on. Absent: `default`. */
  tenantId?: string;
  endpointId: string;
  statuses: DeliveryStatus[];
  /** ISO 8601 bounds on when the events arrived. */
  since?: string;
  until?: string;
  /** At most this many deliveries acted on per second. */
  perSecond: number;
  /** Recorded on discarded deliveries. */
  reason?: string;
}

export interface JobProgress {
  id: string;
  kind: JobKind;
  /** The endpoint a delivery job acts on; a tenant deletion names the tenant instead. */
  endpointId?: string;
  tenantId?: string;
  status: JobStatus;
  total: number;
  done: number;
  failed: number;
}

export interface TenantDeletionInput {
  tenantId: string;
  /** At most this many open deliveries discarded per second. */
  perSecond: number;
}

export interface BatchSettings {
  maxSize: number;
  maxWaitMs: number;
}

/** One member of a batch, as the deliver activity needs it. */
export interface BatchMember {
  deliveryId: string;
  /** The member delivery's attempts before this batch, so its attempt numbers run on. */
  attemptsBefore: number;
}

export interface DeliverBatch {
  events: CallbackEvent[];
  members: BatchMember[];
}

/**
 * The details of a `Throttled` failure: the deliver activity found no slot (rate or concurrency)
 * and made no attempt. The workflow waits `waitMs` and tries again, without counting it.
 */
export interface ThrottleReport {
  /** The number of the last attempt actually made (before this activity's throttled try). */
  lastAttempt: number;
  /** Attempts this activity made before it was throttled (its earlier Temporal retries). */
  made: number;
  waitMs: number;
  reason: 'rate' | 'concurrency';
}
