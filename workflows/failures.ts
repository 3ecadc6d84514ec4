/** ApplicationFailure types the delivery activity raises and the workflow reacts to. */
export const FAILURE_TYPES = {
  /** The receiver did not take the attempt: retried under the endpoint's policy. */
  attemptFailed: 'AttemptFailed',
  endpointDeleted: 'EndpointDeleted',
  endpointDisabled: 'EndpointDisabled',
  noFallback: 'NoFallback',
} as const;
