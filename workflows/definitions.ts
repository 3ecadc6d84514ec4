import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SequenceSignal } from './sequencing';
import type { CallbackEvent, DiscardSignal, EventSnapshot, JobProgress, ReleaseSignal, ResendSignal } from './types';

/** Signals, queries and search attributes: shared by the workflow, the API and operators' tools. */

export const resendSignal = defineSignal<[ResendSignal]>('resend');
export const discardSignal = defineSignal<[DiscardSignal]>('discard');
export const releaseSignal = defineSignal<[ReleaseSignal]>('release');
/** Ordering per call: from the call's sequencer, the delivery's turn, or that it is blocked or waiting again. */
export const sequenceSignal = defineSignal<[SequenceSignal]>('sequence');
export const statusQuery = defineQuery<EventSnapshot>('status');
export const jobProgressQuery = defineQuery<JobProgress>('progress');
/** The event as ingested, so a redelivery in a new run can start from it. */
export const eventQuery = defineQuery<CallbackEvent>('event');

export const RESEND_DESCRIPTION =
  'Deliver again: a delivery awaiting review continues, a delivered, discarded or expired one starts a fresh attempt series. Input: { "endpointId"?: string (all awaiting review when absent), "url"?: string (this resend only) }';
export const DISCARD_DESCRIPTION =
  'Give up a delivery awaiting review or held. Input: { "endpointId"?: string (all awaiting review when absent), "reason"?: string }';
export const RELEASE_DESCRIPTION =
  'Release the deliveries held for a disabled endpoint that is enabled again. Input: { "endpointId": string }';

export const searchAttributes = {
  eventType: defineSearchAttributeKey('CallbackEventType', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('CallbackStatus', SearchAttributeType.KEYWORD),
  callId: defineSearchAttributeKey('CallId', SearchAttributeType.KEYWORD),
  endpoints: defineSearchAttributeKey('CallbackEndpoints', SearchAttributeType.KEYWORD_LIST),
  /** `endpointId:status` pairs, so visibility can list deliveries by endpoint and status. */
  deliveries: defineSearchAttributeKey('CallbackDeliveries', SearchAttributeType.KEYWORD_LIST),
  /** Every delivery's status, for listing by status across endpoints. */
  deliveryStatuses: defineSearchAttributeKey('CallbackDeliveryStatuses', SearchAttributeType.KEYWORD_LIST),
} as const;
