import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  coalesceVerdictSignal,
  isOperational,
  type Activities,
  type CallbackEvent,
  type CoalesceVerdict,
  type DeliverySnapshot,
  type DeliveryStatus,
  type MatchedEndpoint,
} from './contract';

/**
 * The event workflow's side of coalescing (see coalescer.ts). A delivery to an endpoint with
 * `coalesce: { per: "call" }` joins the coalescer of its (endpoint, call, type) and waits, shown
 * as `pending`, for the window to close: the latest event of the window is delivered as usual
 * (retries, fallback, review), the others end `coalesced`, naming the event that replaced them.
 * Only a delivery's first series goes through here: a resend delivers at once.
 */

const { joinCoalescer } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  summary: 'join the coalescing window',
});

/** While waiting past the window, join again now and then, should the coalescer have been lost. */
const REJOIN_AFTER_WINDOW_MS = 60_000;
const REJOIN_MAX_MS = 3_600_000;

export interface CoalescingHooks {
  event: CallbackEvent;
  probe?: unknown;
  setStatus(d: DeliverySnapshot, status: DeliveryStatus, reason?: string): void;
}

export function coalescing({ event, probe, setStatus }: CoalescingHooks) {
  const callId = typeof event.data.callId === 'string' && event.data.callId !== '' ? event.data.callId : undefined;
  /** The coalescer's verdict, per endpoint (the first one counts: the coalescer decides once). */
  const verdicts = new Map<string, CoalesceVerdict>();
  setHandler(coalesceVerdictSignal, (v) => {
    if (!verdicts.has(v.endpointId)) verdicts.set(v.endpointId, v);
  });

  const applies = (m: MatchedEndpoint) => m.coalesce !== undefined && callId !== undefined && !probe && !isOperational(event.type);

  return {
    /** Runs the delivery when its window closes with it the latest, ends it `coalesced` otherwise, or runs it at once without `coalesce`. */
    async first(d: DeliverySnapshot, m: MatchedEndpoint, run: () => Promise<void>): Promise<void> {
      if (!applies(m)) return run();
      const { windowMs } = m.coalesce!;
      setStatus(d, 'pending', `coalescing: waits up to ${windowMs} ms for a later ${event.type} event of call ${callId}`);
      const { workflowId, runId, startTime } = workflowInfo();
      const entry = { eventId: event.id, workflowId, runId, acceptedAt: startTime.getTime(), windowMs };
      const join = () => joinCoalescer({ endpointId: d.endpointId, callId: callId!, eventType: event.type, entry });
      await join();
      let rejoinMs = windowMs + REJOIN_AFTER_WINDOW_MS;
      while (!(await condition(() => verdicts.has(d.endpointId), rejoinMs))) {
        await join();
        rejoinMs = Math.min(rejoinMs * 2, REJOIN_MAX_MS);
      }
      const verdict = verdicts.get(d.endpointId)!;
      if (verdict.kind === 'coalesced') {
        d.coalescedBy = verdict.by;
        return setStatus(d, 'coalesced', `replaced by event ${verdict.by}, a later ${event.type} event of call ${callId}`);
      }
      setStatus(d, 'pending');
      return run();
    },
  };
}
