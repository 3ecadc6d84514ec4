import { condition, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  FINAL_STATUSES,
  isOperational,
  sequenceReportSignal,
  sequenceSignal,
  type Activities,
  type CallbackEvent,
  type DeliverySnapshot,
  type DeliveryStatus,
  type MatchedEndpoint,
  type SequenceReport,
} from './contract';

/**
 * The event workflow's side of ordering per call (see callSequencer.ts). A delivery to an
 * endpoint with `ordering: "per_call"` joins its call's sequence and waits for its turn, shown
 * as `pending` (`blocked` while an earlier event of the call is in review, `held` while it is held
 * by its disabled endpoint); it reports when it goes to review or is held, goes on again, and
 * finishes. Other deliveries pass straight through.
 */

const { joinSequence } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  summary: 'join the call sequence',
});

/** While waiting, join again now and then, should the sequencer have been lost. */
const REJOIN_FIRST_MS = 60_000;
const REJOIN_MAX_MS = 3_600_000;

interface Waiter {
  d: DeliverySnapshot;
  sequencerId?: string;
  granted: boolean;
  outOfOrder: boolean;
  /** The newest `sequence` signal applied. */
  seq: number;
  /** Reports sent. */
  n: number;
  /** Why the delivery holding the turn stopped, as last reported to the sequencer. */
  stall?: 'review' | 'held';
  finished: boolean;
}

export interface OrderingHooks {
  event: CallbackEvent;
  probe?: unknown;
  setStatus(d: DeliverySnapshot, status: DeliveryStatus, reason?: string): void;
  spawn(task: Promise<void>): void;
  /** Takes (clears) an operator's action on a delivery, if any: a waiting delivery shown `held` may be discarded. */
  takeAction(d: DeliverySnapshot): { kind: string; reason?: string } | undefined;
}

export function perCallOrdering({ event, probe, setStatus, spawn, takeAction }: OrderingHooks) {
  const callId = typeof event.data.callId === 'string' && event.data.callId !== '' ? event.data.callId : undefined;
  const waiters = new Map<string, Waiter>();
  const waitingReason = `waits for the earlier events of call ${callId}`;

  const applies = (m: MatchedEndpoint) => m.ordering === 'per_call' && callId !== undefined && !probe && !isOperational(event.type);

  async function report(w: Waiter, kind: SequenceReport['kind']): Promise<void> {
    if (!w.sequencerId) return;
    try {
      await getExternalWorkflowHandle(w.sequencerId).signal(sequenceReportSignal, {
        eventId: event.id,
        runId: workflowInfo().runId,
        kind,
        n: ++w.n,
      });
    } catch {
      // The sequencer is gone (terminated): nothing waits on this report.
    }
  }

  setHandler(sequenceSignal, (s) => {
    const w = waiters.get(s.endpointId);
    if (!w) return;
    if (s.kind === 'turn') {
      // A turn after the delivery finished (a repeated grant): say it is done again.
      if (w.finished) spawn(report(w, 'done'));
      else {
        w.granted = true;
        w.outOfOrder = s.outOfOrder;
      }
      return;
    }
    if (w.granted || s.seq <= w.seq) return;
    w.seq = s.seq;
    if (s.kind === 'blocked' && s.because === 'held') {
      setStatus(w.d, 'held', `waits for event ${s.by} (${s.byType}) of call ${callId}, held while the endpoint is disabled`);
    } else if (s.kind === 'blocked') {
      setStatus(w.d, 'blocked', `waits for event ${s.by} (${s.byType}) of call ${callId}, which awaits review`);
    } else {
      setStatus(w.d, 'pending', waitingReason);
    }
  });

  return {
    /** Runs the delivery in its call's turn when the endpoint orders per call, else at once. */
    async inTurn(d: DeliverySnapshot & { action?: unknown }, m: MatchedEndpoint, run: () => Promise<void>): Promise<void> {
      if (!applies(m)) return run();
      const w: Waiter = { d, granted: false, outOfOrder: false, seq: 0, n: 0, finished: false };
      waiters.set(d.endpointId, w);
      setStatus(d, 'pending', waitingReason);
      const { workflowId, runId } = workflowInfo();
      const join = () =>
        joinSequence({
          endpointId: d.endpointId,
          callId: callId!,
          entry: {
            eventId: event.id,
            eventType: event.type,
            workflowId,
            runId,
            occurredAt: event.occurredAt,
            windowMs: m.orderingWindowMs ?? 0,
          },
        });
      w.sequencerId = (await join()).sequencerId;
      let rejoinMs = REJOIN_FIRST_MS;
      for (;;) {
        const woke = await condition(() => w.granted || d.action !== undefined, rejoinMs);
        if (w.granted) break;
        const action = takeAction(d);
        if (action?.kind === 'discard') {
          // Out of the sequence: its turn, when it comes, is handed on at once (see the `turn` handler).
          w.finished = true;
          return setStatus(d, 'discarded', action.reason ?? 'discarded by an operator');
        }
        if (!woke) {
          await join();
          rejoinMs = Math.min(rejoinMs * 2, REJOIN_MAX_MS);
        }
      }
      setStatus(d, 'pending');
      try {
        await run();
      } finally {
        w.finished = true;
        await report(w, 'done');
      }
    },

    /** Call on every status change: tells the sequencer when the turn holder enters or leaves review. */
    statusChanged(d: DeliverySnapshot): void {
      const w = waiters.get(d.endpointId);
      if (!w || !w.granted || w.finished) return;
      const stall = d.status === 'awaiting_review' ? 'review' : d.status === 'held' ? 'held' : undefined;
      // Leaving review for good (discarded, expired) is reported as done when the delivery ends.
      if (stall === w.stall || (!stall && FINAL_STATUSES.includes(d.status))) return;
      w.stall = stall;
      spawn(report(w, stall ?? 'resumed'));
    },

    /** Fields for the deliver activity: `outOfOrder` when an event of the call occurring later was sent first. */
    deliverFlags(endpointId: string): { outOfOrder?: true } {
      return waiters.get(endpointId)?.outOfOrder ? { outOfOrder: true } : {};
    },
  };
}
