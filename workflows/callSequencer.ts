import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  sequenceJoinSignal,
  sequenceReportSignal,
  sequenceSignal,
  sequenceViewQuery,
  type QueuedEntry,
  type SequencerInput,
  type SequencerResult,
  type SequencerState,
  type SequenceSignal,
} from './contract';

/**
 * One workflow per (endpoint, call) with `ordering: "per_call"`: hands the turn to one delivery
 * at a time, in occurredAt order then arrival order. Event workflows join it by signal-with-start
 * (the `joinSequence` activity); it signals each its turn, and learns how the delivery ended.
 * A delivery in review (or held, its endpoint disabled) keeps the turn: the ones queued behind it
 * are told they are blocked (or held).
 * It closes itself once idle, and continues as new when its history grows.
 */

export const SEQUENCE_IDLE_MS_DEFAULT = 10 * 60_000;
const HISTORY_LIMIT_DEFAULT = 2_000;
/** How often the sequencer checks that the delivery holding the turn still exists (doubling). */
const PROBE_FIRST_MS = 60_000;
const PROBE_MAX_MS = 3_600_000;

type Body<S> = S extends unknown ? Omit<S, 'endpointId' | 'seq'> : never;
type SignalBody = Body<SequenceSignal>;
type Outgoing = { to: QueuedEntry; signal: SignalBody };

export async function callSequencer(input: SequencerInput): Promise<SequencerResult> {
  const idleMs = input.idleMs ?? SEQUENCE_IDLE_MS_DEFAULT;
  const historyLimit = input.historyLimit ?? HISTORY_LIMIT_DEFAULT;
  const state: SequencerState = input.carried ?? {
    queue: [],
    arrivals: 0,
    signalSeq: Date.now() * 1000,
    granted: 0,
    latestSentAt: input.latestSentAt,
  };
  const outbox: Outgoing[] = [];
  const probeFirstMs = input.probeMs ?? PROBE_FIRST_MS;
  const probe = { eventId: '', ms: probeFirstMs };

  const order = (a: QueuedEntry, b: QueuedEntry) =>
    Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.arrival - b.arrival;
  const stalled = (a: SequencerState['active']) => a !== undefined && (a.inReview || a.held === true);
  const blockedSignal = (): Outgoing['signal'] => ({
    kind: 'blocked',
    by: state.active!.eventId,
    byType: state.active!.eventType,
    because: state.active!.held ? 'held' : 'review',
  });

  setHandler(sequenceViewQuery, () => ({
    endpointId: input.endpointId,
    callId: input.callId,
    active: state.active && {
      eventId: state.active.eventId,
      inReview: state.active.inReview,
      held: state.active.held === true,
      outOfOrder: state.active.outOfOrder,
    },
    queued: state.queue.map((e) => e.eventId),
    granted: state.granted,
  }));

  setHandler(sequenceJoinSignal, (entry) => {
    const { active } = state;
    if (active?.eventId === entry.eventId && active.runId === entry.runId) {
      // A rejoin by the holder: the turn signal may have been lost; say it again.
      outbox.push({ to: active, signal: { kind: 'turn', outOfOrder: active.outOfOrder } });
      return;
    }
    const queued = state.queue.findIndex((e) => e.eventId === entry.eventId);
    if (queued >= 0) {
      // A new run of the same event replaces the old one in place.
      state.queue[queued] = { ...state.queue[queued], workflowId: entry.workflowId, runId: entry.runId };
      return;
    }
    const e: QueuedEntry = { ...entry, arrival: state.arrivals++, joinedAt: Date.now() };
    state.queue.push(e);
    state.queue.sort(order);
    if (stalled(active)) outbox.push({ to: e, signal: blockedSignal() });
  });

  setHandler(sequenceReportSignal, (report) => {
    const { active } = state;
    if (!active || active.eventId !== report.eventId || active.runId !== report.runId) return;
    if (report.kind === 'done') return finishActive();
    // review and resumed may overtake each other in flight: the newest wins.
    if (report.n <= active.lastReport) return;
    active.lastReport = report.n;
    const inReview = report.kind === 'review';
    const held = report.kind === 'held';
    if (inReview === active.inReview && held === (active.held === true)) return;
    active.inReview = inReview;
    active.held = held;
    for (const e of state.queue) outbox.push({ to: e, signal: stalled(active) ? blockedSignal() : { kind: 'waiting' } });
  });

  /** The turn is over: the next may go, and those told they were blocked wait normally again. */
  function finishActive(): void {
    const { active } = state;
    state.active = undefined;
    if (stalled(active)) for (const e of state.queue) outbox.push({ to: e, signal: { kind: 'waiting' } });
  }

  /** Signals one event workflow; false when its run is gone (terminated, or closed meanwhile). */
  async function send({ to, signal }: Outgoing): Promise<boolean> {
    try {
      const full = { ...signal, endpointId: input.endpointId, seq: ++state.signalSeq } as SequenceSignal;
      await getExternalWorkflowHandle(to.workflowId, to.runId).signal(sequenceSignal, full);
      return true;
    } catch {
      return false;
    }
  }

  /** When the head may go: once the burst it arrived in had `windowMs` to bring earlier events. */
  function headDueAt(): number {
    const head = state.queue[0];
    const firstJoined = Math.min(...state.queue.map((e) => e.joinedAt));
    return firstJoined + head.windowMs;
  }

  for (;;) {
    while (outbox.length > 0) {
      const out = outbox.shift()!;
      const reached = await send(out);
      if (!reached && out.signal.kind === 'turn' && state.active?.eventId === out.to.eventId && state.active.runId === out.to.runId) {
        // Nobody is left to deliver it: the next one goes.
        finishActive();
      }
    }
    if (!state.active && state.queue.length > 0) {
      const wait = headDueAt() - Date.now();
      if (wait > 0) {
        // Stragglers of the burst may still join (and become the head) meanwhile.
        await condition(() => outbox.length > 0 || headDueAt() - Date.now() <= 0, wait);
        continue;
      }
      const next = state.queue.shift()!;
      const at = Date.parse(next.occurredAt);
      // An event that occurred before one already sent cannot be put back in place: it is flagged.
      const outOfOrder = state.latestSentAt !== undefined && at < state.latestSentAt;
      state.latestSentAt = Math.max(state.latestSentAt ?? at, at);
      state.active = { ...next, lastReport: 0, inReview: false, outOfOrder };
      state.granted += 1;
      outbox.push({ to: next, signal: { kind: 'turn', outOfOrder } });
      continue;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= historyLimit) {
      await condition(allHandlersFinished);
      if (outbox.length === 0) await continueAsNew<typeof callSequencer>({ ...input, carried: state, latestSentAt: undefined });
      continue;
    }
    if (state.active) {
      const holder = state.active;
      if (probe.eventId !== holder.eventId) Object.assign(probe, { eventId: holder.eventId, ms: probeFirstMs });
      if (!(await condition(() => outbox.length > 0 || state.active !== holder, probe.ms))) {
        // Is the holder still there? The turn again is a no-op for it, and fails if its run is gone.
        outbox.push({ to: holder, signal: { kind: 'turn', outOfOrder: holder.outOfOrder } });
        probe.ms = Math.min(probe.ms * 2, Math.max(PROBE_MAX_MS, probeFirstMs));
      }
      continue;
    }
    const work = () => outbox.length > 0 || state.queue.length > 0;
    // Idle: close unless something joins within idleMs.
    if (!(await condition(work, idleMs))) {
      await condition(allHandlersFinished);
      if (!work()) return { granted: state.granted, latestSentAt: state.latestSentAt };
    }
  }
}
