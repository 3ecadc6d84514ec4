import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './contract';

const { purgeAttempts, purgeCallContext } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });

/**
 * Run by a Temporal Schedule: drops attempt-log rows past the retention period, and the context of
 * calls last captured before it (call context expires with the attempt log). Answers how many of each.
 */
export async function purgeAttemptLog(input: { retentionDays: number }): Promise<{ attempts: number; callContext: number }> {
  const attempts = await purgeAttempts(input);
  const callContext = await purgeCallContext(input);
  return { attempts, callContext };
}
