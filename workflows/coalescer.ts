import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import {
  coalesceJoinSignal,
  coalescerViewQuery,
  coalesceVerdictSignal,
  type CoalesceEntry,
  type CoalescerInput,
  type CoalesceVerdict,
} from './contract';

/**
 * One per (endpoint, call, event type) with `coalesce` (id `coalesce-<endpointId>-<digest>`),
 * started and fed by the event workflows through signal-with-start (the `joinCoalescer`
 * activity). The first event to arrive opens a window of `windowMs`, a durable Temporal timer;
 * every event that arrives before it fires joins the window. When it fires, the latest event is
 * told to deliver and the others that they were coalesced, by it. Events arriving after that
 * open the next window, so a steady flurry still delivers one event every windowMs.
 *
 * "Latest" is by arrival at the service (`acceptedAt`: the event workflow's start, recorded by
 * Temporal in the order the API accepted the events), then by arrival here. Not by the order of
 * joining alone: event workflows accepted back to back run concurrently, and their joins race.
 * Not by occurredAt: the producer's clock may be skewed or absent, and occurredAt order is what
 * `ordering` is for. A straggler accepted before an event already delivered (its join was late)
 * is coalesced at once, by that event: the receiver never gets older news after newer.
 */

/** Close after this long without events once a window closed: the next event starts a new coalescer. */
const IDLE_CLOSE_MS = 60_000;
/** Continue as new past this many history events (each window: a timer and a signal per event). */
const HISTORY_LIMIT = 2_000;
/** Verdicts remembered for events that join again (they missed theirs), at most this many. */
const RECENT_VERDICTS = 1_000;

export async function coalescer(input: CoalescerInput): Promise<void> {
  const idleMs = input.idleMs ?? IDLE_CLOSE_MS;
  const waiting: CoalesceEntry[] = [...(input.carried ?? [])];
  const decided = new Map<string, CoalesceVerdict>();
  let lastDelivered = input.lastDelivered;
  /** Events that joined again after their verdict, or too late (stale): they hear it (again). */
  const repeats: { entry: CoalesceEntry; verdict: CoalesceVerdict }[] = [];
  let windows = 0;

  setHandler(coalesceJoinSignal, (entry) => {
    const verdict = decided.get(entry.eventId);
    if (verdict) {
      repeats.push({ entry, verdict });
      return;
    }
    // The same event again (an activity retry, a re-join) keeps its place: joining again must not make it the latest.
    const i = waiting.findIndex((w) => w.eventId === entry.eventId);
    if (i >= 0) waiting[i] = entry;
    else if (lastDelivered && entry.acceptedAt < lastDelivered.acceptedAt) {
      const stale: CoalesceVerdict = { endpointId: input.endpointId, kind: 'coalesced', by: lastDelivered.eventId };
      decided.set(entry.eventId, stale);
      repeats.push({ entry, verdict: stale });
    } else waiting.push(entry);
  });
  setHandler(coalescerViewQuery, () => ({ waiting: waiting.map((w) => w.eventId), windows }));

  async function tell(entry: CoalesceEntry, verdict: CoalesceVerdict): Promise<void> {
    try {
      await getExternalWorkflowHandle(entry.workflowId, entry.runId).signal(coalesceVerdictSignal, verdict);
    } catch {
      // The event's workflow (that run) is gone: nothing waits for the verdict.
    }
  }

  const runIsFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT;

  for (;;) {
    while (repeats.length > 0) {
      const { entry, verdict } = repeats.shift()!;
      await tell(entry, verdict);
    }
    if (runIsFull()) break;
    if (waiting.length === 0) {
      if (!(await condition(() => waiting.length > 0 || repeats.length > 0, idleMs))) return;
      continue;
    }
    // The window runs from its first event, and for that event's windowMs.
    await sleep(waiting[0].windowMs);
    const group = waiting.splice(0);
    // The latest accepted; on a tie (same millisecond), the latest to arrive here.
    const winner = group.reduce((latest, e) => (e.acceptedAt >= latest.acceptedAt ? e : latest));
    lastDelivered = { eventId: winner.eventId, acceptedAt: winner.acceptedAt };
    windows += 1;
    const { endpointId } = input;
    await Promise.all(
      group.map((e) => {
        const verdict: CoalesceVerdict =
          e === winner ? { endpointId, kind: 'deliver' } : { endpointId, kind: 'coalesced', by: winner.eventId };
        decided.set(e.eventId, verdict);
        return tell(e, verdict);
      }),
    );
    for (const eventId of decided.keys()) {
      if (decided.size <= RECENT_VERDICTS) break;
      decided.delete(eventId);
    }
  }
  await continueAsNew<typeof coalescer>({ ...input, carried: waiting, lastDelivered });
}
