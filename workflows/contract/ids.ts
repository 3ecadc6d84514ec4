import { tenantWorkflowId } from './tenants';


/**
 * Every workflow id and the delivery id, built in one place. Pure, so workflow code can use it too.
 * A delivery id is `<eventId>~<endpointId>`: neither part may contain `~`.
 */

export function deliveryId(eventId: string, endpointId: string): string {
  return `${eventId}~${endpointId}`;
}

/**
 * One workflow per event, named after it, so Temporal itself refuses a second start; prefixed with
 * its tenant unless that is `default` (tenants.ts), so tenants may use the same event ids.
 */
export function workflowIdForEvent(eventId: string, tenantId?: string): string {
  return tenantWorkflowId(tenantId, `event-${eventId}`);
}

/** One batcher per endpoint with `batch`. */
export function batcherWorkflowId(endpointId: string): string {
  return `batcher-${endpointId}`;
}

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/**
 * `sequence-<endpointId>-<callIdDigest>`: the call id is free text (any length, any character), so
 * it is named by a digest (src/temporal/sequences.ts sequencerIdForCall: the first 32 hex digits of
 * its SHA-256); the endpoint id is a slug and stays readable. Only the client side builds this id,
 * with node:crypto, so workflow code needs no hashing of its own.
 */
export function sequencerWorkflowId(endpointId: string, callIdDigest: string): string {
  return `sequence-${endpointId}-${callIdDigest}`;
}

/**
 * `coalesce-<endpointId>-<digest>`: the coalescer of an (endpoint, call, event type). The call id
 * is free text, so the call and type are named by a digest (src/temporal/coalescing.ts
 * coalescerIdFor: the first 32 hex digits of the SHA-256 of `<type>\n<callId>`), built on the
 * client side like the sequencer's.
 */
export function coalescerWorkflowId(endpointId: string, callTypeDigest: string): string {
  return `coalesce-${endpointId}-${callTypeDigest}`;
}

/** A bulk job, named by its job id (`job-<random hex>`). */
export function jobWorkflowId(random: string): string {
  return `job-${random}`;
}
