import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import {
  DEFAULT_TENANT_ID,
  searchAttributes,
  sequenceJoinSignal,
  sequencerWorkflowId,
  type JoinSequenceInput,
  type SequenceEntry,
  type SequencerInput,
  type SequencerResult,
} from '../../workflows/contract';
import type { callSequencer } from '../../workflows/callSequencer';

/**
 * Ordering per call, the client side: the sequencer workflow of an (endpoint, call) is started
 * or signalled in one call (signal-with-start), which workflow code cannot do by itself.
 */

/** The sequencer of an (endpoint, call): its running sequencer is found by this id, so it must never change. */
export function sequencerIdForCall(endpointId: string, callId: string): string {
  return sequencerWorkflowId(endpointId, createHash('sha256').update(callId, 'utf8').digest('hex').slice(0, 32));
}

export async function joinSequence(
  client: Client,
  taskQueue: string,
  { endpointId, callId, entry }: JoinSequenceInput,
  options: Pick<SequencerInput, 'idleMs'> = {},
  /** The endpoint's tenant: its fairness key, and the CallbackTenant the UI searches by. */
  tenant: { tenantId: string; fairness: Priority } = { tenantId: DEFAULT_TENANT_ID, fairness: {} },
): Promise<{ sequencerId: string }> {
  const workflowId = sequencerIdForCall(endpointId, callId);
  const latestSentAt = await previouslySent(client, workflowId);
  await client.workflow.signalWithStart<typeof callSequencer, [SequenceEntry]>('callSequencer', {
    taskQueue,
    workflowId,
    // Used only when this starts a new sequencer: what the call's last one had sent.
    args: [{ endpointId, callId, ...options, ...(latestSentAt !== undefined ? { latestSentAt } : {}) }],
    signal: sequenceJoinSignal,
    signalArgs: [entry],
    typedSearchAttributes: [
      { key: searchAttributes.tenant, value: tenant.tenantId },
      { key: searchAttributes.callId, value: callId },
    ],
    priority: tenant.fairness,
    staticSummary: `ordering of call ${callId.slice(0, 12)} for ${endpointId}`,
  });
  return { sequencerId: workflowId };
}

/**
 * The latest occurredAt the call's previous sequencer had sent, when it closed while idle (its
 * result, kept for the namespace's retention); undefined while one runs, or when none is known.
 */
async function previouslySent(client: Client, workflowId: string): Promise<number | undefined> {
  try {
    const { status, runId } = await client.workflow.getHandle(workflowId).describe();
    if (status.name !== 'COMPLETED') return undefined;
    // That run only: a new one may start meanwhile, and its result would not come for a while.
    const closed = client.workflow.getHandle<typeof callSequencer>(workflowId, runId, { followRuns: false });
    const result: SequencerResult = await closed.result();
    return result.latestSentAt;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
