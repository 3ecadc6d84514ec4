import type { BatchItem } from './batching';
import type { JoinCoalescerInput } from './coalescing';
import type { JoinSequenceInput } from './sequencing';
import type { DeliveryStatus } from './statuses';
import type { AttemptReport, CallbackEvent, DeliverInput, DeliveryJobKind, EndpointState, MatchedEndpoint } from './types';

/**
 * The activities the workflows call, as an interface: activities/index.ts (createActivities)
 * implements it, and workflow code proxies it without importing the implementation.
 */
export interface Activities {
  /**
   * Endpoints that take this event: subscribed to its type, and whose filter holds. Disabled
   * endpoints match too: their deliveries are held, not dropped.
   */
  matchEndpoints(input: { event: CallbackEvent; onlyEndpointId?: string; tenantId?: string }): Promise<MatchedEndpoint[]>;
  endpointState(endpointId: string): Promise<EndpointState>;
  /** One attempt; a failure carries its AttemptReport (or a ThrottleReport) as details, typed by FAILURE_TYPES. */
  deliver(input: DeliverInput): Promise<AttemptReport>;
  /** Ordering per call: joins the call's sequencer by signal-with-start (workflows/callSequencer.ts). */
  joinSequence(input: JoinSequenceInput): Promise<{ sequencerId: string }>;
  /** Coalescing: joins the (endpoint, call, type) coalescer by signal-with-start (workflows/coalescer.ts). */
  joinCoalescer(input: JoinCoalescerInput): Promise<{ coalescerId: string }>;
  /**
   * Starts an operational event's workflow; idempotent by the event id the workflow chose. It
   * belongs to the tenant of the endpoint it is about (`data.endpointId`), else to `tenantId`.
   */
  emitEvent(event: CallbackEvent, tenantId?: string): Promise<void>;
  /** Hands an event to its endpoint's batcher, starting the batcher when none runs. */
  enqueueInBatch(input: { endpointId: string; item: BatchItem }): Promise<void>;
  /** One page of an endpoint's deliveries in one status, for a bulk job. */
  findDeliveries(input: {
    filter: { endpointId?: string; status: DeliveryStatus; since?: string; until?: string };
    cursor?: string;
    tenantId?: string;
  }): Promise<{ ids: string[]; nextCursor?: string }>;
  /** Applies a bulk job's action to a batch; a delivery that moved on meanwhile counts as failed. */
  actOnDeliveries(input: { kind: DeliveryJobKind; deliveryIds: string[]; reason?: string; tenantId?: string }): Promise<{ done: number; failed: number }>;
  /** Deleting a tenant: one page of its events whose workflow still runs. */
  findOpenEvents(input: { tenantId: string; cursor?: string }): Promise<{ eventIds: string[]; nextCursor?: string }>;
  /** Deleting a tenant: each event's open deliveries discarded with `reason` at once, and its workflow ended (discard_open). */
  discardOpenEvents(input: { tenantId: string; eventIds: string[]; reason: string }): Promise<{ done: number; failed: number }>;
  /** Deleting a tenant: its endpoints' batchers, call sequencers and coalescers ended. Answers how many. */
  endEndpointWorkflows(input: { tenantId: string; reason: string }): Promise<number>;
  /** The last step of deleting a tenant: removes its endpoints, keys, attempt log and the tenant itself. */
  purgeTenant(input: { tenantId: string }): Promise<{ endpoints: number; attempts: number }>;
  /** Deletes attempt-log rows older than the retention period. */
  purgeAttempts(input: { retentionDays: number }): Promise<number>;
  /** Deletes the context of calls whose last capture is older than the retention period. */
  purgeCallContext(input: { retentionDays: number }): Promise<number>;
  /** Deletes referenced links whose references have all expired (docs/data-protection.md). */
  purgeReferencedLinks(): Promise<number>;
}
