import type { Client } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import type { batcher } from '../../workflows';
import { batchAddSignal, batcherWorkflowId, searchAttributes, URGENT_PRIORITY_KEY, type BatchItem } from '../../workflows/contract';

/**
 * Hands an event to its endpoint's batcher with signal-with-start: the batcher is started when
 * none runs (or the last one closed while idle), else signalled. Workflow code cannot do this
 * itself; the event workflow calls it through the `enqueueInBatch` activity.
 */
export async function signalBatcher(
  client: Client,
  taskQueue: string,
  withDeadline: <T>(fn: () => Promise<T>) => Promise<T>,
  endpointId: string,
  item: BatchItem,
  /** The endpoint's tenant: its fairness key, and the CallbackTenant the UI searches by. */
  tenant: { tenantId: string; fairness: Priority },
): Promise<void> {
  await withDeadline(() =>
    client.workflow.signalWithStart<typeof batcher, [BatchItem]>('batcher', {
      taskQueue,
      workflowId: batcherWorkflowId(endpointId),
      args: [{ endpointId }],
      signal: batchAddSignal,
      signalArgs: [item],
      staticSummary: `batches events for ${endpointId}`,
      typedSearchAttributes: [{ key: searchAttributes.tenant, value: tenant.tenantId }],
      // A `priority: "high"` endpoint's batcher runs in the priority lane (when this call starts it).
      priority: { ...(item.endpoint.priority === 'high' ? { priorityKey: URGENT_PRIORITY_KEY } : {}), ...tenant.fairness },
    }),
  );
}
