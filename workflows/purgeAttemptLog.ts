import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './contract';

const { purgeAttempts } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });

/** Run by a Temporal Schedule: drops attempt-log rows past the retention period. */
export async function purgeAttemptLog(input: { retentionDays: number }): Promise<number> {
  return purgeAttempts(input);
}
