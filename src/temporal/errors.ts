import type { DeliveryStatus } from '../../workflows/contract';

export class TemporalUnavailableError extends Error {
  readonly code = 'temporal_unavailable';
}

export class DeliveryNotFoundError extends Error {
  readonly code = 'not_found';
}

/** The delivery is in a state the requested action does not apply to. */
export class DeliveryStateError extends Error {
  readonly code = 'delivery_state_conflict';
  constructor(
    readonly status: DeliveryStatus,
    message: string,
  ) {
    super(message);
  }
}
