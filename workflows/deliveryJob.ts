import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { jobProgressQuery, type Activities, type DeliveryJobInput, type JobProgress } from './contract';

/**
 * A bulk action on an endpoint's deliveries (recover, release held, discard held) as a workflow
 * of its own: it survives restarts, reports progress, and keeps to a bounded rate.
 */

const { findDeliveries, actOnDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function deliveryJob(input: DeliveryJobInput): Promise<JobProgress> {
  const progress: JobProgress = {
    id: workflowInfo().workflowId,
    kind: input.kind,
    endpointId: input.endpointId,
    status: 'running',
    total: 0,
    done: 0,
    failed: 0,
  };
  setHandler(jobProgressQuery, () => progress);

  // Collect first, act after: acting changes statuses, which would shift later pages.
  const ids = new Set<string>();
  for (const status of input.statuses) {
    let cursor: string | undefined;
    do {
      const page = await findDeliveries({
        filter: { endpointId: input.endpointId, status, since: input.since, until: input.until },
        cursor,
        tenantId: input.tenantId,
      });
      page.ids.forEach((id) => ids.add(id));
      progress.total = ids.size;
      cursor = page.nextCursor;
    } while (cursor);
  }

  const all = [...ids];
  for (let i = 0; i < all.length; i += input.perSecond) {
    const result = await actOnDeliveries({ kind: input.kind, deliveryIds: all.slice(i, i + input.perSecond), reason: input.reason, tenantId: input.tenantId });
    progress.done += result.done;
    progress.failed += result.failed;
    if (i + input.perSecond < all.length) await sleep('1 second');
  }
  progress.status = 'completed';
  return progress;
}
