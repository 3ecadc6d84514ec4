import { type Client, ScheduleAlreadyRunning } from '@temporalio/client';
import type { purgeAttemptLog } from '../../workflows';

export const PURGE_SCHEDULE_ID = 'callback-events-purge-attempt-log';

/**
 * The attempt log is trimmed by a Temporal Schedule, not a timer in some process: it runs once
 * whichever workers are up, and shows in the Temporal UI. Re-creating it updates the retention.
 */
export async function ensurePurgeSchedule(client: Client, taskQueue: string, retentionDays: number): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'purgeAttemptLog',
    taskQueue,
    args: [{ retentionDays }] as Parameters<typeof purgeAttemptLog>,
  };
  try {
    await client.schedule.create({
      scheduleId: PURGE_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 hour' }] },
      action,
      policies: { overlap: 'SKIP' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(PURGE_SCHEDULE_ID).update((previous) => ({ ...previous, action }));
  }
}
