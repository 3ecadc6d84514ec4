import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { deliveryJob, tenantDeletion } from '../../workflows';
import {
  DEFAULT_TENANT_ID,
  jobProgressQuery,
  jobWorkflowId,
  searchAttributes,
  splitTenantWorkflowId,
  tenantWorkflowId,
  type DeliveryJobInput,
  type JobProgress,
  type TenantDeletionInput,
} from '../../workflows/contract';
import { newId } from '../domain/ids';
import { deadlineCaller, fairnessOf } from './eventGateway';

/**
 * Jobs, each a workflow named by its job id, for one tenant: bulk actions on an endpoint's
 * deliveries (`deliveryJob`) and tenant deletions (`tenantDeletion`). Job ids carry the tenant
 * (tenantWorkflowId), and another tenant's job id is answered as one that does not exist.
 */
export function createJobs(client: Client, taskQueue: string, tenantId = DEFAULT_TENANT_ID, weight?: number) {
  const withDeadline = deadlineCaller(client);

  async function startJob<W extends typeof deliveryJob | typeof tenantDeletion>(type: string, args: Parameters<W>, summary: string): Promise<string> {
    const jobId = tenantWorkflowId(tenantId, jobWorkflowId(newId('ep-').slice(3)));
    await withDeadline(() =>
      client.workflow.start<W>(type, {
        taskQueue,
        workflowId: jobId,
        args,
        staticSummary: summary,
        priority: fairnessOf(tenantId, weight),
        typedSearchAttributes: [{ key: searchAttributes.tenant, value: tenantId }],
      } as Parameters<typeof client.workflow.start<W>>[1]),
    );
    return jobId;
  }

  return {
    async start(given: DeliveryJobInput): Promise<string> {
      const input: DeliveryJobInput = tenantId === DEFAULT_TENANT_ID ? given : { ...given, tenantId };
      return startJob<typeof deliveryJob>('deliveryJob', [input], `${input.kind} deliveries of ${input.endpointId}`);
    },
    /** Deletes `input.tenantId` (already hidden, its keys revoked), as a job of this tenant: the service's. */
    async deleteTenant(input: TenantDeletionInput): Promise<string> {
      return startJob<typeof tenantDeletion>('tenantDeletion', [input], `delete tenant ${input.tenantId}`);
    },
    async progress(jobId: string): Promise<JobProgress | undefined> {
      const { tenantId: owner, id } = splitTenantWorkflowId(jobId);
      if (owner !== tenantId || !id.startsWith(jobWorkflowId(''))) return undefined;
      try {
        return await withDeadline(() => client.workflow.getHandle(jobId).query(jobProgressQuery), undefined, { workerAnswers: true });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}

export type Jobs = ReturnType<typeof createJobs>;
