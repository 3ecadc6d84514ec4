import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from './contract';

const { purgeAttempts, purgeReferencedLinks } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 5 } });

/**
 * Run by a Temporal Schedule, hourly: drops attempt-log rows past the retention period, and the
 * links kept for references once every reference to them has expired. Answers the attempt rows
 * dropped (as it always has) and, beside them, the links.
 */
export async function purgeAttemptLog(input: { retentionDays: number }): Promise<{ attempts: number; referencedLinks: number }> {
  const attempts = await purgeAttempts(input);
  const referencedLinks = await purgeReferencedLinks();
  return { attempts, referencedLinks };
}
