import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { summarize, type Summary } from './percentiles';

/**
 * Where an event's first attempt spent its time, read from its workflow's history: from the
 * scheduled send to the workflow's start (the API), each workflow task and activity on the way to
 * the first `deliver` (waiting in the queue: scheduled → started; running in the worker: started →
 * completed), and from the `deliver` task's start to the receiver's arrival. Timestamps are the
 * server's, on the same machine's clock as the bench's.
 */

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const HOPS = [
  'api (send → workflow started)',
  'workflow task 1 queued',
  'workflow task 1 in the worker',
  'matchEndpoints queued',
  'matchEndpoints in the worker',
  'workflow task 2 queued',
  'workflow task 2 in the worker',
  'deliver queued',
  'deliver started → arrival',
] as const;

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : Number.NaN;
};

function hopsOf(events: HistoryEvent[], sentAt: number, arrivedAt: number): number[] | undefined {
  const of = (type: number) => events.filter((e) => e.eventType === type);
  const started = of(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)[0];
  const activity = (name: string) => {
    const scheduled = of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    const id = Number(scheduled?.eventId ?? -1);
    const by = (type: number, key: 'activityTaskStartedEventAttributes' | 'activityTaskCompletedEventAttributes' | 'activityTaskFailedEventAttributes') =>
      of(type).find((e) => Number(e[key]?.scheduledEventId ?? -2) === id);
    return {
      scheduled,
      started: by(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 'activityTaskStartedEventAttributes'),
      completed: by(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes') ?? by(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes'),
    };
  };
  /** The first workflow task scheduled after event `afterId`: scheduled, started, completed. */
  const wft = (afterId: number) => {
    const scheduled = of(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED).find((e) => Number(e.eventId) > afterId);
    const id = Number(scheduled?.eventId ?? -1);
    const startedE = of(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).find((e) => Number(e.workflowTaskStartedEventAttributes?.scheduledEventId ?? -2) === id);
    const completed = of(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).find((e) => Number(e.workflowTaskCompletedEventAttributes?.scheduledEventId ?? -2) === id);
    return { scheduled, started: startedE, completed };
  };
  const match = activity('matchEndpoints');
  const deliver = activity('deliver');
  const w1 = wft(0);
  const w2 = wft(Number(match.completed?.eventId ?? Infinity));
  const hops = [
    ms(started) - sentAt,
    ms(w1.started) - ms(w1.scheduled),
    ms(w1.completed) - ms(w1.started),
    ms(match.started) - ms(match.scheduled),
    ms(match.completed) - ms(match.started),
    ms(w2.started) - ms(w2.scheduled),
    ms(w2.completed) - ms(w2.started),
    ms(deliver.started) - ms(deliver.scheduled),
    arrivedAt - ms(deliver.started),
  ];
  return hops.every(Number.isFinite) ? hops : undefined;
}

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
