import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { jobProgressQuery, type Activities, type DeliveryStatus, type JobProgress, type TenantDeletionInput } from './contract';

/**
 * Deleting a tenant, as a job that survives restarts. By the time it starts, the tenant is hidden
 * and its keys revoked (the API did that at once). It discards the tenant's deliveries that wait
 * for an operator (awaiting review, held) with the reason `tenant deleted`, then removes the
 * tenant's rows. Deliveries still retrying find their endpoint gone at their next attempt and end
 * as discarded then.
 */

const { findDeliveries, actOnDeliveries, purgeTenant } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export const TENANT_DELETED_REASON = 'tenant deleted';

const WAITING: DeliveryStatus[] = ['awaiting_review', 'held'];

export async function tenantDeletion({ tenantId, perSecond }: TenantDeletionInput): Promise<JobProgress> {
  const progress: JobProgress = { id: workflowInfo().workflowId, kind: 'delete_tenant', tenantId, status: 'running', total: 0, done: 0, failed: 0 };
  setHandler(jobProgressQuery, () => progress);

  // Collect first, act after: acting changes statuses, which would shift later pages.
  const ids = new Set<string>();
  for (const status of WAITING) {
    let cursor: string | undefined;
    do {
      const page = await findDeliveries({ filter: { status }, cursor, tenantId });
      page.ids.forEach((id) => ids.add(id));
      progress.total = ids.size;
      cursor = page.nextCursor;
    } while (cursor);
  }
  const all = [...ids];
  for (let i = 0; i < all.length; i += perSecond) {
    const result = await actOnDeliveries({ kind: 'discard_held', deliveryIds: all.slice(i, i + perSecond), reason: TENANT_DELETED_REASON, tenantId });
    progress.done += result.done;
    progress.failed += result.failed;
    if (i + perSecond < all.length) await sleep('1 second');
  }
  await purgeTenant({ tenantId });
  progress.status = 'completed';
  return progress;
}
