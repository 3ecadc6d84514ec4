/** ApplicationFailure types the delivery activity raises and the workflow reacts to. */
export const FAILURE_TYPES = {
  /** A retryable failure: connection, timeout, 408, 425, 429, 5xx. */
  attemptFailed: 'AttemptFailed',
  /** A 3xx or 4xx the receiver will answer again: no more attempts in this series. */
  attemptRejected: 'AttemptRejected',
  /** 410 Gone: the endpoint is now disabled; the delivery goes to review. */
  endpointGone: 'EndpointGone',
  endpointDeleted: 'EndpointDeleted',
  /** The endpoint is (or just became) disabled: the delivery is held. */
  endpointDisabled: 'EndpointDisabled',
  noFallback: 'NoFallback',
  /** The outbound guard refused the url (a non-public address, plain http): as final as a rejection. */
  targetBlocked: 'TargetBlocked',
  /** No slot under the endpoint's flow control (rate or concurrency): no attempt was made; wait and try again. */
  throttled: 'Throttled',
  /** The endpoint's transform failed on this event: no request was sent; as final as a rejection, and no fallback (it would fail the same way). */
  transformFailed: 'TransformFailed',
} as const;

/**
 * Why an attempt got no HTTP answer, or got one that is not a success (`http`), as the webhook
 * client classifies it, the attempt log keeps it and the API shows it.
 */
export const FAILURE_CLASSES = ['timeout', 'dns', 'connect', 'tls', 'http', 'blocked'] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];
