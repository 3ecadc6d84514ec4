import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { coalesceJoinSignal, coalescerWorkflowId, DEFAULT_TENANT_ID, searchAttributes, type CoalesceEntry, type JoinCoalescerInput } from '../../workflows/contract';
import type { coalescer } from '../../workflows/coalescer';

/**
 * Coalescing, the client side: the coalescer of an (endpoint, call, event type) is started or
 * signalled in one call (signal-with-start), which workflow code cannot do by itself; the event
 * workflow calls this through the `joinCoalescer` activity.
 */

/** The coalescer's id: its running coalescer is found by it, so it must never change. */
export function coalescerIdFor(endpointId: string, callId: string, eventType: string): string {
  return coalescerWorkflowId(endpointId, createHash('sha256').update(`${eventType}\n${callId}`, 'utf8').digest('hex').slice(0, 32));
}

export async function joinCoalescer(
  client: Client,
  taskQueue: string,
  { endpointId, callId, eventType, entry }: JoinCoalescerInput,
  /** The endpoint's tenant: its fairness key, and the CallbackTenant the UI searches by. */
  tenant: { tenantId: string; fairness: Priority } = { tenantId: DEFAULT_TENANT_ID, fairness: {} },
): Promise<{ coalescerId: string }> {
  const workflowId = coalescerIdFor(endpointId, callId, eventType);
  await client.workflow.signalWithStart<typeof coalescer, [CoalesceEntry]>('coalescer', {
    taskQueue,
    workflowId,
    args: [{ endpointId, callId, eventType }],
    signal: coalesceJoinSignal,
    signalArgs: [entry],
    typedSearchAttributes: [
      { key: searchAttributes.tenant, value: tenant.tenantId },
      { key: searchAttributes.callId, value: callId },
    ],
    priority: tenant.fairness,
    staticSummary: `coalesces ${eventType} of call ${callId.slice(0, 12)} for ${endpointId}`,
  });
  return { coalescerId: workflowId };
}
