import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { searchAttributes } from '../../workflows/definitions';
import type { callSequencer } from '../../workflows/callSequencer';
import { sequenceJoinSignal, type SequenceEntry, type SequencerInput } from '../../workflows/sequencing';

/**
 * Ordering per call, the client side: the sequencer workflow of an (endpoint, call) is started
 * or signalled in one call (signal-with-start), which workflow code cannot do by itself.
 */

export interface JoinSequenceInput {
  endpointId: string;
  callId: string;
  entry: SequenceEntry;
}

/**
 * `sequence-<endpointId>-<hash of the call id>`: the call id is free text (any length, any
 * character), so it is hashed; the endpoint id is a slug and stays readable.
 */
export function sequencerWorkflowId(endpointId: string, callId: string): string {
  const hash = createHash('sha256').update(callId, 'utf8').digest('hex').slice(0, 32);
  return `sequence-${endpointId}-${hash}`;
}

export async function joinSequence(
  client: Client,
  taskQueue: string,
  { endpointId, callId, entry }: JoinSequenceInput,
  options: Pick<SequencerInput, 'idleMs'> = {},
): Promise<{ sequencerId: string }> {
  const workflowId = sequencerWorkflowId(endpointId, callId);
  await client.workflow.signalWithStart<typeof callSequencer, [SequenceEntry]>('callSequencer', {
    taskQueue,
    workflowId,
    args: [{ endpointId, callId, ...options }],
    signal: sequenceJoinSignal,
    signalArgs: [entry],
    typedSearchAttributes: [{ key: searchAttributes.callId, value: callId }],
    staticSummary: `ordering of call ${callId.slice(0, 12)} for ${endpointId}`,
  });
  return { sequencerId: workflowId };
}
