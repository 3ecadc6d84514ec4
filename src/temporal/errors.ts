import type { DeliveryStatus } from '../../workflows/contract';
import { CallbackEventsError } from '../errors';

/**
 * Temporal did not answer (or is being given a rest after failing to). `cause` keeps what the
 * client saw, for logs; the message is what a caller may be told.
 */
export function temporalUnavailable(cause?: unknown): CallbackEventsError {
  return new CallbackEventsError('temporal_unavailable', 'Temporal cannot be reached right now; nothing was accepted. Retry later.', {
    headers: { 'retry-after': '5' },
    cause,
  });
}

export function deliveryNotFound(message: string): CallbackEventsError {
  return new CallbackEventsError('not_found', message);
}

/** The delivery is in a state the requested action does not apply to; `details.status` says which. */
export function deliveryStateConflict(status: DeliveryStatus, message: string): CallbackEventsError<{ status: DeliveryStatus }> {
  return new CallbackEventsError('delivery_state_conflict', message, { details: { status } });
}
