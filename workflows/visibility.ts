import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { FINAL_STATUSES, searchAttributes, type DeliverySnapshot, type DeliveryStatus, type EventStatus } from './contract';

/**
 * What an event's workflow shows of itself: its status (the roll-up of its deliveries'), the
 * search attributes the API lists deliveries by, and the current details in the Temporal UI.
 */

/** The order in which a delivery's state speaks for the whole event: what needs attention first. */
const STATUS_WEIGHT: Record<DeliveryStatus, number> = {
  awaiting_review: 8,
  held: 7,
  /** Waits for an earlier event of its call, which awaits review (ordering per call). */
  blocked: 6.5,
  retrying: 6,
  /** Waits for a slot under the endpoint's rate or concurrency limit (flow control). */
  throttled: 5.5,
  pending: 5,
  expired: 4,
  discarded: 3,
  delivered_fallback: 2,
  delivered: 1,
  /** Coalescing: a later event of the call went in its place; as settled as delivered, and less telling. */
  coalesced: 0.5,
};

/** The event's view of `deliveries` (the workflow's own list, which it keeps changing). */
export function eventVisibility(deliveries: readonly DeliverySnapshot[]) {
  let matched = false;
  let published = '';
  /** Deliveries whose first attempt is out right now (their answer usually comes within milliseconds). */
  const firstAttemptOut = new Set<string>();
  /**
   * Deliveries whose local first attempt (workflows/firstAttempt.ts) has not yet moved them on from
   * `pending`. While there are any, nothing is published: an event whose first attempts all succeed
   * writes its search attributes once, at its end, in its first workflow task.
   */
  const localUnsettled = new Set<string>();

  function status(): EventStatus {
    if (!matched) return 'pending';
    if (deliveries.length === 0) return 'filtered';
    // Seeded with the first delivery's own status, so an event whose deliveries were all coalesced reads `coalesced`.
    return deliveries.reduce<DeliveryStatus>(
      (worst, d) => (STATUS_WEIGHT[d.status] > STATUS_WEIGHT[worst] ? d.status : worst),
      deliveries[0].status,
    );
  }

  function publish(): void {
    if (!matched || localUnsettled.size > 0) return;
    // A delivery that finished while its siblings' first attempts are still out is published with
    // them, moments later: one search-attribute update (a visibility write) per event, not per endpoint.
    const settling = deliveries.some((d) => FINAL_STATUSES.includes(d.status)) &&
      deliveries.every((d) => FINAL_STATUSES.includes(d.status) || (d.status === 'pending' && firstAttemptOut.has(d.id)));
    if (settling && deliveries.some((d) => firstAttemptOut.has(d.id))) return;
    const pairs = deliveries.map((d) => `${d.endpointId}:${d.status}`);
    const key = `${status()}|${pairs.join(',')}`;
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: searchAttributes.status, value: status() },
      { key: searchAttributes.endpoints, value: deliveries.map((d) => d.endpointId) },
      { key: searchAttributes.deliveries, value: pairs },
      { key: searchAttributes.deliveryStatuses, value: [...new Set(deliveries.map((d) => d.status))] },
    ]);
    setCurrentDetails(
      deliveries.length === 0
        ? 'No endpoint matched this event.'
        : deliveries
            .map((d) => `- **${d.endpointId}**: ${d.status} after ${d.attempts} attempt(s)${d.reason ? ` (${d.reason})` : ''}`)
            .join('\n'),
    );
  }

  return {
    status,
    /** Publishes the status, once it changed (and unless siblings' first attempts are about to settle it). */
    publish,
    /** The endpoints are matched: from now on the status is the deliveries' roll-up, and published. */
    markMatched(): void {
      matched = true;
    },
    /** A delivery's first attempt goes out as a local activity: it publishes nothing until its status changes. */
    localFirst(d: DeliverySnapshot): void {
      localUnsettled.add(d.id);
    },
    /** A delivery's status changed (before `publish`). */
    changed(d: DeliverySnapshot): void {
      localUnsettled.delete(d.id);
    },
    /** A delivery's first attempt went out (`true`) or came back (`false`). */
    firstAttempt(d: DeliverySnapshot, out: boolean): void {
      if (out) firstAttemptOut.add(d.id);
      else firstAttemptOut.delete(d.id);
    },
  };
}
