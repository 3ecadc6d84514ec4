import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Ordering per call: the shapes and signals between the event workflows and the sequencer
 * workflow of one (endpoint, call). Types and definitions only: safe for workflows and clients.
 *
 *   event workflow ──joinSequence activity (signal-with-start: `sequenceJoin`)──▶ sequencer
 *   sequencer ──`sequence` signal (turn / blocked / waiting)──▶ event workflow
 *   event workflow ──`sequenceReport` signal (review / resumed / done)──▶ sequencer
 */

/** What the `joinSequence` activity is given: signal-with-start of the (endpoint, call) sequencer. */
export interface JoinSequenceInput {
  endpointId: string;
  callId: string;
  entry: SequenceEntry;
}

/** One delivery waiting for its turn, as it joins the sequence. */
export interface SequenceEntry {
  eventId: string;
  eventType: string;
  /** The event workflow, and its run: a turn goes to this run only. */
  workflowId: string;
  runId: string;
  occurredAt: string;
  /** How long the first of a burst waits for stragglers before the head is sent (ms). */
  windowMs: number;
}

export interface SequencerInput {
  endpointId: string;
  callId: string;
  /** Close once nothing has been queued for this long (default 10 minutes). */
  idleMs?: number;
  /** Continue as new once the history has this many events (default 2,000, or when Temporal suggests it). */
  historyLimit?: number;
  /** How soon it first checks that the delivery holding the turn still exists (default 1 minute, then doubling). */
  probeMs?: number;
  /** The state carried over by continue-as-new. */
  carried?: SequencerState;
  /**
   * The latest occurredAt (ms) the call's previous sequencer (closed while idle) gave the turn to,
   * so an event arriving after that still gets `outOfOrder` when it occurred earlier.
   */
  latestSentAt?: number;
}

/** What a sequencer answers when it closes. */
export interface SequencerResult {
  granted: number;
  latestSentAt?: number;
}

export interface QueuedEntry extends SequenceEntry {
  /** Arrival order at the sequencer, the tie-break after occurredAt. */
  arrival: number;
  /** When it joined, by the sequencer's clock (ms). */
  joinedAt: number;
}

export interface SequencerState {
  queue: QueuedEntry[];
  /** The delivery holding the turn. */
  active?: QueuedEntry & { lastReport: number; inReview: boolean; outOfOrder: boolean; held?: boolean };
  arrivals: number;
  /** The latest occurredAt (ms) among the events already given the turn. */
  latestSentAt?: number;
  /** Numbers the `sequence` signals, so an event workflow ignores a stale one. */
  signalSeq: number;
  /** Events given the turn, all runs together (for the query and tests). */
  granted: number;
}

/** From the sequencer to an event workflow, about its delivery to `endpointId`. */
export type SequenceSignal =
  | { endpointId: string; seq: number; kind: 'turn'; outOfOrder: boolean }
  /**
   * An earlier event of the call is in review (`because: 'review'`, shown as `blocked`) or held
   * while its endpoint is disabled (`because: 'held'`, shown as `held`): wait.
   */
  | { endpointId: string; seq: number; kind: 'blocked'; by: string; byType: string; because?: 'review' | 'held' }
  /** Nothing is in review any more: back to waiting for the turn. */
  | { endpointId: string; seq: number; kind: 'waiting' };

/** From an event workflow holding the turn: its delivery went to review or was held, went on again, or finished. */
export interface SequenceReport {
  eventId: string;
  runId: string;
  kind: 'review' | 'held' | 'resumed' | 'done';
  /** Increasing per delivery, so reports overtaken in flight are ignored. */
  n: number;
}

export interface SequenceView {
  endpointId: string;
  callId: string;
  active?: { eventId: string; inReview: boolean; held: boolean; outOfOrder: boolean };
  queued: string[];
  granted: number;
}

/** Ordering per call: from the call's sequencer, the delivery's turn, or that it is blocked or waiting again. */
export const sequenceSignal = defineSignal<[SequenceSignal]>('sequence');
export const sequenceJoinSignal = defineSignal<[SequenceEntry]>('sequenceJoin');
export const sequenceReportSignal = defineSignal<[SequenceReport]>('sequenceReport');
export const sequenceViewQuery = defineQuery<SequenceView>('sequence');
