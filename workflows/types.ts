/**
 * Shapes that cross the workflow boundary (inputs, results, query answers).
 * Types only: safe to import from workflow code and from clients alike.
 */

export type DeliveryStatus =
  | 'pending'
  | 'retrying'
  | 'delivered'
  | 'delivered_fallback'
  | 'awaiting_review'
  | 'discarded'
  | 'expired';

export type EventStatus = DeliveryStatus | 'filtered';

export interface CallbackEvent {
  id: string;
  type: string;
  /** ISO 8601; the delivered `timestamp`. */
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface CallbackEventInput {
  event: CallbackEvent;
  /** Deliver to this endpoint alone, once, with no fallback or review (endpoint tests). */
  probe?: { endpointId: string };
}

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
}

export type DeliveryTarget = 'primary' | 'fallback';

export interface DeliverInput {
  event: CallbackEvent;
  endpointId: string;
  target: DeliveryTarget;
  /** Overrides the endpoint's url for one resend. */
  url?: string;
  /** Attempts made before this series, so attempt numbers run on across series. */
  attemptOffset: number;
}

/** What one attempt reports, on success as the result, on failure as the failure's details. */
export interface AttemptReport {
  attempt: number;
  statusCode?: number;
  failure?: string;
  message: string;
  at: string;
}

export interface DeliverySnapshot {
  id: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: string;
  /** Why the delivery is in its current state, for review and discard. */
  reason?: string;
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
}
