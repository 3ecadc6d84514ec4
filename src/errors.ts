/**
 * The one error type of the service. A `code` says what went wrong in a way callers can branch on;
 * the API answers it as `{ "error": { "code", "message", "details"? } }` with the status that
 * src/api/httpStatus.ts gives the code, so a rule deep down throws its error and no route has to
 * translate it.
 *
 * Codes are part of the API (and the receiver package's): rename one only together with every
 * client, document and test that names it.
 */
export const ERROR_CODES = [
  // Answered by the API as they are.
  'invalid_request',
  'invalid_json',
  'too_deep',
  'undecodable',
  'unauthorized',
  'forbidden',
  'not_found',
  'reference_expired',
  'method_not_allowed',
  'conflict',
  'endpoint_disabled',
  'no_public_key',
  'delivery_state_conflict',
  'payload_too_large',
  'unsupported_encoding',
  'rate_limited',
  'internal',
  'temporal_unavailable',
  'store_unavailable',
  'invalid_transform',
  'transform_failed',
  // Raised outside request handling (start-up, the worker, the receiver package); one reaching the
  // API is a fault of ours and is answered as `internal`.
  'invalid_config',
  'temporal_cli_missing',
  'store_key_error',
  'outbound_blocked',
  'invalid_filter',
  'webhook_unverified',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  /** Machine-readable particulars, answered as `details` (field issues, the state that conflicted). */
  details?: unknown;
  /** Response headers the answer needs (`retry-after`, `allow`). */
  headers?: Record<string, string>;
  /** The lower-level error this one explains; kept for logs, never answered. */
  cause?: unknown;
}

export class CallbackEventsError<Details = unknown> extends Error {
  override readonly name = 'CallbackEventsError';
  readonly details?: Details;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    { details, headers = {}, cause }: ErrorOptions & { details?: Details } = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    if (details !== undefined) this.details = details;
    this.headers = headers;
  }
}

/** Whether `err` is one of ours with one of `codes`. */
export function hasCode(err: unknown, ...codes: ErrorCode[]): err is CallbackEventsError {
  return err instanceof CallbackEventsError && codes.includes(err.code);
}
