import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallbackEvent, DiscardOpenSignal, DiscardSignal, EventSnapshot, JobProgress, ReleaseSignal, ResendSignal } from './types';

/** Signals and queries of the event (and batch) workflows and bulk jobs: shared by the workflows, the API and operators' tools. */

export const resendSignal = defineSignal<[ResendSignal]>('resend');
export const discardSignal = defineSignal<[DiscardSignal]>('discard');
/** Deleting a tenant: its events' open deliveries end at once, not at their next attempt. */
export const discardOpenSignal = defineSignal<[DiscardOpenSignal]>('discard_open');
export const releaseSignal = defineSignal<[ReleaseSignal]>('release');
export const statusQuery = defineQuery<EventSnapshot>('status');
export const jobProgressQuery = defineQuery<JobProgress>('progress');
/** The event as ingested, so a redelivery in a new run can start from it. */
export const eventQuery = defineQuery<CallbackEvent>('event');

export const RESEND_DESCRIPTION =
  'Deliver again: a delivery awaiting review continues, a delivered, discarded, expired or coalesced one starts a fresh attempt series. Input: { "endpointId"?: string (all awaiting review when absent), "url"?: string (this resend only) }';
export const DISCARD_DESCRIPTION =
  'Give up a delivery awaiting review or held. Input: { "endpointId"?: string (all awaiting review when absent), "reason"?: string }';
export const RELEASE_DESCRIPTION =
  'Release the deliveries held for a disabled endpoint that is enabled again. Input: { "endpointId": string }';
export const DISCARD_OPEN_DESCRIPTION =
  'Discard every delivery of the event not yet final, whatever it is doing (pending, retrying, throttled, blocked, held, awaiting review), and end the workflow: its tenant is deleted. Input: { "reason": string }';
