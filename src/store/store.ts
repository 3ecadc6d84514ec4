import type { DeliveryTarget, FailureClass } from '../../workflows/contract';
import type { CallContext } from '../domain/capture';
import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../domain/endpoint';

/**
 * What the service keeps outside Temporal. Kept small and async so a PostgreSQL
 * implementation can stand beside the SQLite one for multi-node deployments.
 */

/** One attempt, as the attempt log keeps it. */
export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  target: DeliveryTarget;
  url: string;
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  failure?: FailureClass;
  /** The first 4 KiB of the response body. */
  responseBody?: string;
}

/** A link to stored call data that a reference redirects to, and until when it is kept. */
export interface ReferencedLink {
  eventId: string;
  /** The field's dot path in the event's `data`, e.g. `recordingUrl`. */
  field: string;
  url: string;
  keepUntil: Date;
}

/** A management action, who made it (the API key id) and when. Never holds secrets or payloads. */
export interface AuditInput {
  at: string;
  keyId: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends AuditInput {
  /** Increasing with each record; `listAudit({ before })` pages on it. */
  id: number;
}

/**
 * Flow control of one endpoint, as each acquire states it (from the endpoint's settings): a token
 * bucket (`rate`, absent = no rate limit) and a concurrency cap, the store keeping the effective
 * (AIMD) value under it. Shared by every worker, so a limit holds across all of them.
 */
export interface FlowLimits {
  rate?: { perSecond: number; burst: number };
  maxConcurrency: number;
  /** How long a lease lives when never released (a crashed worker): it then frees itself. */
  leaseMs: number;
}

/** A slot: one request may be in flight. Give it back with `releaseFlowSlot`. */
export interface FlowLease {
  id: string;
  /** Epoch ms. */
  acquiredAt: number;
}

export type FlowGrant =
  | { granted: true; lease: FlowLease }
  | { granted: false; waitMs: number; reason: 'rate' | 'concurrency' };

/** What an attempt says about the receiver: `congested` (429, 503, slow) halves the concurrency, `success` adds one. */
export type FlowSignal = 'success' | 'congested' | 'neutral';

export interface FlowState {
  /** The effective concurrency limit now (AIMD), at most maxConcurrency. */
  concurrency: number;
  inFlight: number;
  /** Deliveries waiting for a slot now (throttled). */
  queued: number;
}

export interface Store {
  createEndpoint(input: { id: string; secret: string; settings: EndpointSettings }): Promise<EndpointWithSecret>;
  getEndpoint(id: string): Promise<EndpointWithSecret | undefined>;
  listEndpoints(): Promise<Endpoint[]>;
  updateEndpoint(id: string, patch: EndpointPatch): Promise<Endpoint | undefined>;
  /** Disables an enabled endpoint with a reason; false when it was already disabled or is gone. */
  disableEndpoint(id: string, reason: string): Promise<boolean>;
  deleteEndpoint(id: string): Promise<boolean>;
  /**
   * Replaces the signing secret. The replaced one keeps signing until `previousSecretExpiresAt`
   * (now + graceMs); graceMs 0 drops it at once. A secret already in its grace period is dropped.
   * Undefined when the endpoint does not exist.
   */
  rotateSecret(id: string, input: { secret: string; graceMs: number }): Promise<{ secret: string; previousSecretExpiresAt: string } | undefined>;

  /**
   * Notes the outcome of an attempt at an endpoint's own url. Answers since when every
   * attempt has failed (undefined after a success), which drives auto-disable.
   */
  noteEndpointOutcome(id: string, ok: boolean, at: Date): Promise<{ failingSince?: Date }>;

  recordAttempt(record: AttemptRecord): Promise<void>;
  /** Oldest first. */
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;
  /** How many attempts each delivery has in the log. */
  countAttempts(deliveryIds: string[]): Promise<Map<string, number>>;
  /** Deletes attempts that started before `before`; answers how many. */
  purgeAttempts(before: Date): Promise<number>;

  /**
   * Keeps values captured from an endpoint's answer against a call (docs/case-ids.md). A name
   * captured again is overwritten, with `at` as its update time; a new name is kept only while the
   * call holds fewer than MAX_CAPTURE_NAMES.
   */
  saveCallContext(callId: string, values: CallContext, at: Date): Promise<void>;
  /** The call's captured values; `{}` when there are none (never captured, or purged). */
  getCallContext(callId: string): Promise<CallContext>;
  /** Deletes the whole context of every call whose last capture was before `before`; answers how many values. */
  purgeCallContext(before: Date): Promise<number>;

  /**
   * Flow control, one transaction each. `acquireFlowSlot` takes a token and a concurrency slot
   * together, or neither and answers how long to wait; `waiterId` (the delivery id) is counted as
   * queued until it acquires or its wait lapses. `now` (epoch ms) is for tests.
   */
  acquireFlowSlot(endpointId: string, waiterId: string, limits: FlowLimits, now?: number): Promise<FlowGrant>;
  /** Gives a slot back and applies the attempt's signal to the effective concurrency (AIMD). */
  releaseFlowSlot(endpointId: string, lease: FlowLease, signal: FlowSignal, maxConcurrency: number, now?: number): Promise<void>;
  flowState(endpointId: string, maxConcurrency: number, now?: number): Promise<FlowState>;

  /**
   * Reference URLs (docs/data-protection.md): the link a reference redirects to, sealed with the
   * master key and bound to its event and field. One row per event and field, shared by every
   * endpoint that got a reference to it; keeping it again only moves `keepUntil` later.
   */
  keepReferencedLink(link: ReferencedLink): Promise<void>;
  /** The link, or undefined when there is none or it is past its `keepUntil`. `now` is for tests. */
  referencedLink(eventId: string, field: string, now?: Date): Promise<string | undefined>;
  /** Deletes links past their `keepUntil`; answers how many. */
  purgeReferencedLinks(now: Date): Promise<number>;

  recordAudit(entry: AuditInput): Promise<AuditRecord>;
  /** Newest first; `before` is the id of the last record of the previous page. */
  listAudit(query: { limit: number; before?: number }): Promise<AuditRecord[]>;

  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
