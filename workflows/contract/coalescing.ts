import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Coalescing (issue 14 §4): the shapes and signals between the event workflows and the coalescer
 * workflow of one (endpoint, call, event type). Types and definitions only: safe for workflows
 * and clients.
 *
 *   event workflow ──joinCoalescer activity (signal-with-start: `coalesceJoin`)──▶ coalescer
 *   coalescer ──`coalesceVerdict` signal (deliver / coalesced)──▶ event workflow
 */

/** What the `joinCoalescer` activity is given: signal-with-start of the (endpoint, call, type) coalescer. */
export interface JoinCoalescerInput {
  endpointId: string;
  callId: string;
  eventType: string;
  entry: CoalesceEntry;
}

/** One delivery waiting for its window to close. */
export interface CoalesceEntry {
  eventId: string;
  /** The event workflow, and its run: the verdict goes to this run only. */
  workflowId: string;
  runId: string;
  /**
   * When the event reached the service (ms): its workflow's start, which the API makes when it
   * accepts the event, as Temporal recorded it. "Latest" goes by this, not by the order the event
   * workflows happen to join in.
   */
  acceptedAt: number;
  /** The endpoint's window as this event saw it: a window lasts the windowMs of the event that opened it. */
  windowMs: number;
}

export interface CoalescerInput {
  endpointId: string;
  callId: string;
  eventType: string;
  /** Close once no event has come for this long after a window closed (default 1 minute). */
  idleMs?: number;
  /** Entries carried over by continue-as-new: they open the next window. */
  carried?: CoalesceEntry[];
  /** The latest event delivered so far, carried over by continue-as-new. */
  lastDelivered?: { eventId: string; acceptedAt: number };
}

/** From the coalescer to an event workflow, about its delivery to `endpointId`. */
export type CoalesceVerdict =
  /** The latest of its window: deliver now. */
  | { endpointId: string; kind: 'deliver' }
  /** A later event of the same call and type (`by`) replaced it: its delivery ends `coalesced`. */
  | { endpointId: string; kind: 'coalesced'; by: string };

export interface CoalescerView {
  /** Events in the open window, in arrival order. */
  waiting: string[];
  /** Windows closed in this run. */
  windows: number;
}

export const coalesceJoinSignal = defineSignal<[CoalesceEntry]>('coalesceJoin');
export const coalesceVerdictSignal = defineSignal<[CoalesceVerdict]>('coalesceVerdict');
export const coalescerViewQuery = defineQuery<CoalescerView>('coalescer');
