import type { Client } from '@temporalio/client';
import { createCallEvents, type CallEvents } from './callEvents';
import { createDeliveryListing, type DeliveryListing } from './deliveryListing';
import { createEventGateway, type EventGateway } from './eventGateway';
import { createJobs, type Jobs } from './jobs';

/** Everything the API and the activities use to reach Temporal, wired once. */
export interface TemporalServices {
  events: EventGateway;
  deliveries: DeliveryListing;
  /** The events of a call, for `GET /v1/calls/:callId`. */
  calls: CallEvents;
  jobs: Jobs;
}

export function createTemporalServices(
  client: Client,
  options: {
    taskQueue: string;
    namespace: string;
    deadlineMs?: number;
    /** The client shares a NativeConnection with a worker in this process: event workflows start eagerly on it. */
    eagerStart?: boolean;
  },
): TemporalServices {
  return {
    events: createEventGateway(client, options.taskQueue, options.deadlineMs, { eagerStart: options.eagerStart }),
    deliveries: createDeliveryListing(client, options.namespace),
    calls: createCallEvents(client, options.namespace),
    jobs: createJobs(client, options.taskQueue),
  };
}
