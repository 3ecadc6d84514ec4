import type { ErrorCode } from '../errors';

/**
 * The HTTP status the API answers each error code with: the only place a code meets a status.
 * A 500 is a fault of ours: its message is logged, not answered (the caller gets `internal`).
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_transform: 400,
  too_deep: 400,
  undecodable: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  // A reference URL whose token is genuine but past its expiry (docs/data-protection.md).
  reference_expired: 410,
  conflict: 409,
  endpoint_disabled: 409,
  no_public_key: 409,
  delivery_state_conflict: 409,
  payload_too_large: 413,
  unsupported_encoding: 415,
  // The preview's answer when the endpoint's transform fails on the event given; in delivery the
  // same code is the reason a delivery went to review.
  transform_failed: 422,
  rate_limited: 429,
  internal: 500,
  temporal_unavailable: 503,
  store_unavailable: 503,
  // Never raised while handling a request (filters are validated before they are stored; the
  // outbound guard and webhook verification run outside the API): a bug if one gets here.
  invalid_config: 500,
  temporal_cli_missing: 500,
  store_key_error: 500,
  outbound_blocked: 500,
  invalid_filter: 500,
  webhook_unverified: 500,
};
