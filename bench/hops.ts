import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { summarize, type Summary } from './percentiles';

/**
 * Where an event's first attempt spent its time, read from its workflow's history: from the
 * scheduled send to the workflow's start (the API), the first workflow task (waiting in the queue:
 * scheduled → started; in the worker: started → completed, matching included, a local activity),
 * the `deliver` activity's wait in the queue, and from its start to the receiver's arrival. An event
 * whose first attempt ran as a local activity (workflows/firstAttempt.ts) has no `deliver` activity:
 * its worker hop runs from the task's start to the arrival, and the two activity hops are 0.
 * Timestamps are the server's, on the same machine's clock as the bench's.
 */

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const HOPS = [
  'API (send → workflow started)',
  'first workflow task queued',
  'first workflow task in the worker (matching; a local first attempt up to its arrival)',
  'deliver activity queued (0 if local)',
  'deliver started → arrival (0 if local)',
] as const;

/** History numbers are Longs ({ low, high }), strings or numbers; Number() alone does not read the first. */
const num = (x: unknown): number => {
  if (x === undefined || x === null) return Number.NaN;
  if (typeof x === 'object' && 'low' in x && 'high' in x) {
    const { low, high } = x as { low: number; high: number };
    return high * 2 ** 32 + (low >>> 0);
  }
  return Number(x);
};

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  return t ? num(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : Number.NaN;
};

function hopsOf(events: HistoryEvent[], sentAt: number, arrivedAt: number): number[] | undefined {
  const of = (type: number) => events.filter((e) => e.eventType === type);
  const started = of(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)[0];
  const firstWft = (type: number, key: 'workflowTaskStartedEventAttributes' | 'workflowTaskCompletedEventAttributes') =>
    of(type).find((e) => num(e[key]?.scheduledEventId) === num(wftScheduled?.eventId));
  const wftScheduled = of(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)[0];
  const wftStarted = firstWft(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes');
  const wftCompleted = firstWft(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'workflowTaskCompletedEventAttributes');
  const deliver = of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliver');
  const deliverStarted = of(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).find((e) => num(e.activityTaskStartedEventAttributes?.scheduledEventId) === num(deliver?.eventId));
  // No activity, or one that retried a first attempt made before it (the arrival came first): local.
  if (!deliver || arrivedAt < ms(deliverStarted)) return finite([ms(started) - sentAt, ms(wftStarted) - ms(wftScheduled), arrivedAt - ms(wftStarted), 0, 0]);
  return finite([
    ms(started) - sentAt,
    ms(wftStarted) - ms(wftScheduled),
    ms(wftCompleted) - ms(wftStarted),
    ms(deliverStarted) - ms(deliver),
    arrivedAt - ms(deliverStarted),
  ]);
}

const finite = (hops: number[]) => (hops.every(Number.isFinite) ? hops : undefined);

/** Each hop's p50/p99 over the events given (workflow id, scheduled send, first arrival); events whose history is not as expected are left out. */
export async function hopBreakdown(client: Client, events: Array<{ workflowId: string; sentAt: number; arrivedAt: number }>): Promise<Record<string, Summary>> {
  const rows: number[][] = [];
  for (const e of events) {
    const history = await client.workflow.getHandle(e.workflowId).fetchHistory().catch(() => undefined);
    const hops = history?.events ? hopsOf(history.events, e.sentAt, e.arrivedAt) : undefined;
    if (hops) rows.push(hops);
  }
  return Object.fromEntries(HOPS.map((name, i) => [name, summarize(rows.map((r) => r[i]))]));
}
