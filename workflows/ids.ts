/**
 * Names derived from event and endpoint ids. Pure, so workflow code can use it too.
 * A delivery id is `<eventId>~<endpointId>`: neither part may contain `~`.
 */

export function deliveryId(eventId: string, endpointId: string): string {
  return `${eventId}~${endpointId}`;
}

/** One workflow per event, named after it, so Temporal itself refuses a second start. */
export function workflowIdForEvent(eventId: string): string {
  return `event-${eventId}`;
}
