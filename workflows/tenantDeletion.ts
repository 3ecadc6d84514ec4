import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { jobProgressQuery, type Activities, type JobProgress, type TenantDeletionInput } from './contract';

/**
 * Deleting a tenant, as a job that survives restarts. By the time it starts, the tenant is hidden
 * and its keys revoked (the API did that at once). Every event of the tenant whose workflow still
 * runs is told to discard its open deliveries with the reason `tenant deleted`, whatever they are
 * doing (retrying, throttled, blocked, held, awaiting review): each ends at once, and no further
 * attempt goes out. Then its endpoints' batchers, sequencers and coalescers end, and the
 * tenant's rows are removed.
 */

const { findOpenEvents, discardOpenEvents, endEndpointWorkflows, purgeTenant } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export const TENANT_DELETED_REASON = 'tenant deleted';

export async function tenantDeletion({ tenantId, perSecond }: TenantDeletionInput): Promise<JobProgress> {
  const progress: JobProgress = { id: workflowInfo().workflowId, kind: 'delete_tenant', tenantId, status: 'running', total: 0, done: 0, failed: 0 };
  setHandler(jobProgressQuery, () => progress);

  // Collect first, act after: ending workflows changes what the later pages would hold.
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await findOpenEvents({ tenantId, cursor });
    page.eventIds.forEach((id) => ids.add(id));
    progress.total = ids.size;
    cursor = page.nextCursor;
  } while (cursor);
  const all = [...ids];
  for (let i = 0; i < all.length; i += perSecond) {
    const result = await discardOpenEvents({ tenantId, eventIds: all.slice(i, i + perSecond), reason: TENANT_DELETED_REASON });
    progress.done += result.done;
    progress.failed += result.failed;
    if (i + perSecond < all.length) await sleep('1 second');
  }
  await endEndpointWorkflows({ tenantId, reason: TENANT_DELETED_REASON });
  await purgeTenant({ tenantId });
  progress.status = 'completed';
  return progress;
}
