import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './contract';

const { purgeAttempts, purgeCallContext, purgeReferencedLinks } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Run by a Temporal Schedule, hourly: drops attempt-log rows past the retention period, the context
 * of calls last captured before it (call context expires with the attempt log), and the links kept
 * for references once every reference to them has expired. Answers how many of each it dropped.
 */
export async function purgeAttemptLog(
  input: { retentionDays: number },
): Promise<{ attempts: number; callContext: number; referencedLinks: number }> {
  const attempts = await purgeAttempts(input);
  const callContext = await purgeCallContext(input);
  const referencedLinks = await purgeReferencedLinks();
  return { attempts, callContext, referencedLinks };
}
