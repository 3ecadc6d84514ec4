import type { Client } from '@temporalio/client';
import { createCallEvents, type CallEvents } from './callEvents';
import { createDeliveryListing, type DeliveryListing } from './deliveryListing';
import { createEventGateway, type EventGateway } from './eventGateway';
import { createJobs, type Jobs } from './jobs';
import { DEFAULT_TENANT_ID } from '../../workflows/contract';

/** One tenant's doors into Temporal: its events, its deliveries, its jobs, and no other tenant's. */
export interface TenantServices {
  events: EventGateway;
  deliveries: DeliveryListing;
  /** The events of a call, for `GET /v1/calls/:callId`. */
  calls: CallEvents;
  jobs: Jobs;
}

/**
 * Everything the API and the activities use to reach Temporal, wired once: the `default` tenant's
 * services, and `forTenant` for any tenant's (the API takes the caller's; activities the tenant
 * their workflow runs for).
 */
export interface TemporalServices extends TenantServices {
  /** `weight`: the tenant's share of the task queue under load (its `weight`, default 1). */
  forTenant(tenantId: string, options?: { weight?: number }): TenantServices;
}

export function createTemporalServices(
  client: Client,
  options: {
    taskQueue: string;
    namespace: string;
    deadlineMs?: number;
    /** The client shares a NativeConnection with a worker in this process: event workflows start eagerly on it. */
    eagerStart?: boolean;
    /** New events' plain first attempts run as local activities in their first workflow task (CALLBACKS_LOCAL_FIRST_ATTEMPT; default on). */
    localFirstAttempt?: boolean;
  },
): TemporalServices {
  const forTenant = (tenantId: string, { weight }: { weight?: number } = {}): TenantServices => ({
    events: createEventGateway(client, options.taskQueue, options.deadlineMs, { eagerStart: options.eagerStart, tenantId, weight, localFirstAttempt: options.localFirstAttempt }),
    deliveries: createDeliveryListing(client, options.namespace, tenantId),
    calls: createCallEvents(client, options.namespace, tenantId),
    jobs: createJobs(client, options.taskQueue, tenantId, weight),
  });
  return { ...forTenant(DEFAULT_TENANT_ID), forTenant };
}
