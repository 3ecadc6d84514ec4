/**
 * Delivery and event statuses, each list written once: the types, the API's zod enums and the
 * workflows' roll-up all read these. The order is the one the API documents.
 */

export const DELIVERY_STATUSES = [
  'pending',
  'retrying',
  /** The endpoint is disabled; the delivery waits until it is enabled (or deleted). */
  'held',
  'delivered',
  'delivered_fallback',
  'awaiting_review',
  'discarded',
  'expired',
  /** Ordering per call: an earlier event of the same call awaits review; this one waits for it. */
  'blocked',
  /** Waiting for a slot under the endpoint's rate limit or concurrency limit (flow control). */
  'throttled',
  /**
   * Coalescing: a later event of the same call and type, within the endpoint's `coalesce` window,
   * was delivered in its place (`coalescedBy` names it). Final; a resend delivers it after all.
   */
  'coalesced',
] as const;

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** An event's status: its deliveries' roll-up, or `filtered` when no endpoint matched it. */
export const EVENT_STATUSES = [...DELIVERY_STATUSES, 'filtered'] as const;

export type EventStatus = (typeof EVENT_STATUSES)[number];

/** States a delivery does not leave by itself; a resend starts it over. */
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['delivered', 'delivered_fallback', 'discarded', 'expired', 'coalesced'];

/** States a resend (one delivery, or a recover job over many) may start over. */
export const RESENDABLE_STATUSES: readonly DeliveryStatus[] = ['awaiting_review', ...FINAL_STATUSES];
