import { proxyActivities } from '@temporalio/workflow';
import type { CeilingActivities } from './ceilingActivities';

/**
 * The floor of what any Temporal design of this service costs: one workflow, one activity that
 * makes the delivery's POST. No matching, no store, no search attributes, no payload codec.
 * The same timeout shape as a delivery attempt (15 s + 5 s).
 */
const { post } = proxyActivities<CeilingActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds' },
});

export async function ceilingWorkflow(id: string): Promise<void> {
  await post(id);
}
