import type { EventType } from '../src/domain/catalog';
import type { EventGateway } from '../src/temporal/eventGateway';
import { scopeData, type PayloadScope } from '../src/domain/scope';
import type { AttemptRecord, Store } from '../src/store/store';
import type { Activities, DeliverBatch } from '../workflows/contract';

/** Batching's part of the activities: the batch body, the members' attempt log, the hand-over. */

/** `{ type: "batch", id, events: [{ id, type, timestamp, data }] }`, each event's data scoped for the endpoint. */
export function batchBody(batchId: string, batch: DeliverBatch, scope: PayloadScope | undefined): string {
  return JSON.stringify({
    type: 'batch',
    id: batchId,
    events: batch.events.map((event) => ({
      id: event.id,
      type: event.type,
      timestamp: event.occurredAt,
      data: scopeData(event.type as EventType, event.data, scope),
    })),
  });
}

/** Logs a batch attempt under every member delivery too, numbered on from each member's own attempts. */
export async function recordMemberAttempts(
  store: Store,
  batch: DeliverBatch,
  batchAttempt: number,
  record: Omit<AttemptRecord, 'deliveryId' | 'attempt'>,
): Promise<void> {
  for (const member of batch.members) {
    await store.recordAttempt({ ...record, deliveryId: member.deliveryId, attempt: member.attemptsBefore + batchAttempt });
  }
}

export function createBatchActivities({ events }: { events: EventGateway }): Pick<Activities, 'enqueueInBatch'> {
  return {
    async enqueueInBatch({ endpointId, item }) {
      await events.enqueueInBatch(endpointId, item);
    },
  };
}
