import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes: set by the workflows, listed by the API, registered at start (src/temporal/searchAttributes.ts). */
export const searchAttributes = {
  /** The tenant an event or job belongs to: operators search the UI by it, and every listing filters on it. */
  tenant: defineSearchAttributeKey('CallbackTenant', SearchAttributeType.KEYWORD),
  eventType: defineSearchAttributeKey('CallbackEventType', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('CallbackStatus', SearchAttributeType.KEYWORD),
  callId: defineSearchAttributeKey('CallId', SearchAttributeType.KEYWORD),
  endpoints: defineSearchAttributeKey('CallbackEndpoints', SearchAttributeType.KEYWORD_LIST),
  /** `endpointId:status` pairs, so visibility can list deliveries by endpoint and status. */
  deliveries: defineSearchAttributeKey('CallbackDeliveries', SearchAttributeType.KEYWORD_LIST),
  /** Every delivery's status, for listing by status across endpoints. */
  deliveryStatuses: defineSearchAttributeKey('CallbackDeliveryStatuses', SearchAttributeType.KEYWORD_LIST),
} as const;
