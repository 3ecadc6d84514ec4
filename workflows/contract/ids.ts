import { sha256Hex } from './sha256';

/**
 * Every workflow id and the delivery id, built in one place. Pure, so workflow code can use it too.
 * A delivery id is `<eventId>~<endpointId>`: neither part may contain `~`.
 */

export function deliveryId(eventId: string, endpointId: string): string {
  return `${eventId}~${endpointId}`;
}

/** One workflow per event, named after it, so Temporal itself refuses a second start. */
export function workflowIdForEvent(eventId: string): string {
  return `event-${eventId}`;
}

/** One batcher per endpoint with `batch`. */
export function batcherWorkflowId(endpointId: string): string {
  return `batcher-${endpointId}`;
}

export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}

/**
 * `sequence-<endpointId>-<hash of the call id>`: the call id is free text (any length, any
 * character), so it is hashed; the endpoint id is a slug and stays readable.
 */
export function sequencerWorkflowId(endpointId: string, callId: string): string {
  return `sequence-${endpointId}-${sha256Hex(callId).slice(0, 32)}`;
}

/** A bulk job, named by its job id (`job-<random hex>`). */
export function jobWorkflowId(random: string): string {
  return `job-${random}`;
}
