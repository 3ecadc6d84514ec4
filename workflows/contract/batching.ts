import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryStatus } from './statuses';
import type { CallbackEvent, MatchedEndpoint } from './types';

/**
 * Batching (endpoints with `batch`): the names and shapes shared by the event workflows, the
 * per-endpoint `batcher`, each batch's `batchDelivery`, and the client that signals-with-start.
 * Definitions and types only: safe to import from workflow code and clients alike.
 */

/** One event handed to its endpoint's batcher by the event's workflow. */
export interface BatchItem {
  /** Chosen by the event's workflow for this hand-over; repeated hand-overs (activity retries) carry the same. */
  token: string;
  /** The event's workflow, which the batch's outcome is signalled to. */
  workflowId: string;
  deliveryId: string;
  event: CallbackEvent;
  /** The delivery's attempts before this batch, so its attempt numbers run on. */
  attemptsBefore: number;
  /** The endpoint as this event matched it: the batcher uses the newest settings it was given. */
  endpoint: MatchedEndpoint;
  /** A one-off url (a resend with `url`): such an item goes out at once, in a batch of its own. */
  url?: string;
  /** An urgent escalation: its batch goes out at once, in the priority lane, without waiting for maxSize or maxWaitMs. */
  urgent?: boolean;
}

/** What the batcher carries across continue-as-new. */
export interface BatcherInput {
  endpointId: string;
  pending?: Array<{ item: BatchItem; arrivedAt: number; bytes: number }>;
  /** Items with a one-off url, each sent alone. */
  urgent?: BatchItem[];
  /** Tokens of the events sent lately, so a repeated hand-over is not sent twice. */
  recent?: string[];
  /** Batches sent by this chain of runs, for its details. */
  sent?: number;
  /** Tests: continue as new after this many batches (default BATCHES_PER_RUN). */
  batchesPerRun?: number;
}

export interface BatchDeliveryInput {
  batchId: string;
  endpointId: string;
  /** ISO 8601: when the batch was closed; its `timestamp`. */
  createdAt: string;
  items: BatchItem[];
  endpoint: MatchedEndpoint;
  url?: string;
}

/** The batch's state, signalled to every member event's workflow each time it changes. */
export interface BatchUpdate {
  token: string;
  batchId: string;
  /** Increases with every update, so a member keeps the newest whatever order signals arrive in. */
  seq: number;
  status: DeliveryStatus;
  /** The batch's attempts so far (each member adds its own attemptsBefore). */
  attempts: number;
  reason?: string;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: string;
}

export interface BatchSnapshot {
  batchId: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
  reason?: string;
  events: string[];
}

/** To the batcher: one more event. */
export const batchAddSignal = defineSignal<[BatchItem]>('batchAdd');
/** To an event's workflow: its batch's state. */
export const batchUpdateSignal = defineSignal<[BatchUpdate]>('batchUpdate');
/** The batch delivery's state; the batcher's pending count. */
export const batchStatusQuery = defineQuery<BatchSnapshot>('batchStatus');
export const batcherPendingQuery = defineQuery<{ pending: number; sent: number }>('batcherPending');
