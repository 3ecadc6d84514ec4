import type { DeliveryTarget, FailureClass } from '../../workflows/contract';
import type { CallContext } from '../domain/capture';
import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../domain/endpoint';
import type { Tenant, TenantKey, TenantPatch, TenantSettings } from '../domain/tenant';
import type { MatchCandidate } from './subscriptions';

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
  /** The tenant of the endpoint the reference was minted for; absent: `default`. */
  tenantId?: string;
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

/** A tenant key found by its hash, with the (live) tenant it acts for. */
export interface TenantKeyMatch extends TenantKey {
  tenant: Tenant;
}

/**
 * Where a `tenantId` parameter is optional below, leaving it out reaches every tenant's rows: that
 * is for the worker, which acts on ids its workflows hold. The API never calls these directly: it
 * gets a view bound to the caller's tenant (tenantStore.ts), which always passes one.
 */
export interface Store {
  /** `tenantId` absent: the `default` tenant. Endpoint ids are unique across tenants. */
  createEndpoint(input: { id: string; secret: string; settings: EndpointSettings; tenantId?: string }): Promise<EndpointWithSecret>;
  getEndpoint(id: string, tenantId?: string): Promise<EndpointWithSecret | undefined>;
  listEndpoints(tenantId?: string): Promise<Endpoint[]>;
  updateEndpoint(id: string, patch: EndpointPatch, tenantId?: string): Promise<Endpoint | undefined>;
  /** Disables an enabled endpoint with a reason; false when it was already disabled or is gone. */
  disableEndpoint(id: string, reason: string): Promise<boolean>;
  deleteEndpoint(id: string, tenantId?: string): Promise<boolean>;
  /**
   * Matching's read, from the subscription index (subscriptions.ts): the tenant's endpoints
   * subscribed to any of `eventTypes` (index keys: a type, or `*` for endpoints that name none),
   * oldest first. Nothing sealed is opened: the auth credential is left out, the secrets unread.
   */
  matchCandidates(tenantId: string, eventTypes: string[]): Promise<MatchCandidate[]>;
  /** One endpoint of the tenant as matching sees it (a resend to that endpoint alone); nothing sealed is opened. */
  matchCandidate(id: string, tenantId: string): Promise<MatchCandidate | undefined>;
  /** The tenant an endpoint belongs to; undefined when it does not exist. */
  tenantOfEndpoint(id: string): Promise<string | undefined>;
  /**
   * Replaces the signing secret. The replaced one keeps signing until `previousSecretExpiresAt`
   * (now + graceMs); graceMs 0 drops it at once. A secret already in its grace period is dropped.
   * Undefined when the endpoint does not exist.
   */
  rotateSecret(
    id: string,
    input: { secret: string; graceMs: number },
    tenantId?: string,
  ): Promise<{ secret: string; previousSecretExpiresAt: string } | undefined>;

  /** A taken id is a `conflict`. */
  createTenant(input: { id: string; settings: TenantSettings }): Promise<Tenant>;
  /** Undefined for an unknown tenant and for one being deleted. */
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  updateTenant(id: string, patch: TenantPatch): Promise<Tenant | undefined>;
  /**
   * The first step of deleting a tenant, at once: it is hidden (as if gone) and its keys stop
   * working. False when there is no such tenant. `purgeTenant` removes the rest.
   */
  beginTenantDeletion(id: string): Promise<boolean>;
  /**
   * Removes a tenant being deleted: its endpoints (and their flow control), keys, attempt log,
   * call context, referenced links, and the tenant itself.
   */
  purgeTenant(id: string): Promise<{ endpoints: number; attempts: number }>;
  /** `hash`: the SHA-256 (hex) of the key; the key itself is never stored. */
  createTenantKey(input: { id: string; tenantId: string; role: TenantKey['role']; label?: string; hash: string }): Promise<TenantKey>;
  listTenantKeys(tenantId: string): Promise<TenantKey[]>;
  deleteTenantKey(tenantId: string, keyId: string): Promise<boolean>;
  /** The key with this hash, if its tenant is live. Read on every request, so a revocation holds at once. */
  findTenantKey(hash: string): Promise<TenantKeyMatch | undefined>;

  /**
   * Notes the outcome of an attempt at an endpoint's own url. Answers since when every
   * attempt has failed (undefined after a success), which drives auto-disable.
   */
  noteEndpointOutcome(id: string, ok: boolean, at: Date): Promise<{ failingSince?: Date }>;

  /** Kept under the tenant of the delivery's endpoint. */
  recordAttempt(record: AttemptRecord): Promise<void>;
  /** Oldest first. */
  listAttempts(deliveryId: string, tenantId?: string): Promise<AttemptRecord[]>;
  /** How many attempts each delivery has in the log. */
  countAttempts(deliveryIds: string[], tenantId?: string): Promise<Map<string, number>>;
  /** Deletes attempts that started before `before`; answers how many. */
  purgeAttempts(before: Date): Promise<number>;

  /**
   * Keeps values captured from an endpoint's answer against a call (docs/case-ids.md). A name
   * captured again is overwritten, with `at` as its update time; a new name is kept only while the
   * call holds fewer than MAX_CAPTURE_NAMES.
   */
  saveCallContext(callId: string, values: CallContext, at: Date, tenantId?: string): Promise<void>;
  /** The call's captured values; `{}` when there are none (never captured, or purged). Call ids are per tenant; absent: `default`. */
  getCallContext(callId: string, tenantId?: string): Promise<CallContext>;
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
   * master key and bound to its event and field. One row per tenant, event and field, shared by
   * every endpoint of the tenant that got a reference to it; keeping it again only moves
   * `keepUntil` later. `tenantId` absent: the `default` tenant.
   */
  keepReferencedLink(link: ReferencedLink): Promise<void>;
  /** The link, or undefined when there is none or it is past its `keepUntil`. `now` is for tests. */
  referencedLink(eventId: string, field: string, now?: Date, tenantId?: string): Promise<string | undefined>;
  /** Deletes links past their `keepUntil`; answers how many. */
  purgeReferencedLinks(now: Date): Promise<number>;

  /** `tenantId` absent: the `default` tenant. */
  recordAudit(entry: AuditInput, tenantId?: string): Promise<AuditRecord>;
  /** Newest first; `before` is the id of the last record of the previous page. */
  listAudit(query: { limit: number; before?: number; tenantId?: string }): Promise<AuditRecord[]>;

  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
