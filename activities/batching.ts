import type { Endpoint } from '../src/domain/endpoint';
import { deliveredData } from '../src/domain/outgoing';
import type { Referencer } from '../src/domain/references';
import type { AttemptRecord, Store } from '../src/store/store';
import { DEFAULT_TENANT_ID, type Activities, type DeliverBatch } from '../workflows/contract';
import type { ActivityTenants } from './tenants';

/** Batching's part of the activities: the batch body, the members' attempt log, the hand-over. */

/** `{ type: "batch", id, events: [{ id, type, timestamp, data }] }`, each event's data scoped and referenced for the endpoint. */
export async function batchBody(batchId: string, batch: DeliverBatch, endpoint: Endpoint, referencer: Referencer): Promise<string> {
  const events = [];
  for (const event of batch.events) {
    events.push({ id: event.id, type: event.type, timestamp: event.occurredAt, data: await deliveredData(endpoint, event, referencer) });
  }
  return JSON.stringify({ type: 'batch', id: batchId, events });
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

export function createBatchActivities({ tenants }: { tenants: ActivityTenants }): Pick<Activities, 'enqueueInBatch'> {
  return {
    async enqueueInBatch({ endpointId, item }) {
      // The endpoint's batcher is its tenant's (fairness key, CallbackTenant).
      const services = await tenants.ofEndpoint(endpointId, DEFAULT_TENANT_ID);
      await services!.events.enqueueInBatch(endpointId, item);
    },
  };
}
