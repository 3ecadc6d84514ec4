import type { Sinks } from '@temporalio/workflow';
import type { DeliveryStatus } from './statuses';
import type { CallbackEvent } from './types';

/**
 * What the workflows tell the worker's metrics (src/metrics/), through the SDK's workflow sinks:
 * workflow code cannot hold a metrics registry, and a sink is not called again when the workflow
 * replays, so a counter counts each change once.
 */

/** Until events carry a tenant, every event is the default tenant's. */
export const DEFAULT_TENANT = 'default';

/** The tenant label of an event's metrics: the one place that reads it. */
export function tenantOf(event: CallbackEvent): string {
  const tenant = (event as { tenant?: unknown }).tenant;
  return typeof tenant === 'string' && tenant !== '' ? tenant : DEFAULT_TENANT;
}

/** The statuses in which a delivery has finished its course: counted each time a delivery reaches one. */
export const FINISHED_OUTCOMES = ['delivered', 'delivered_fallback', 'awaiting_review', 'discarded', 'expired', 'coalesced'] as const satisfies readonly DeliveryStatus[];

export type FinishedOutcome = (typeof FINISHED_OUTCOMES)[number];

export function isFinishedOutcome(status: DeliveryStatus): status is FinishedOutcome {
  return (FINISHED_OUTCOMES as readonly DeliveryStatus[]).includes(status);
}

export interface MetricsSinks extends Sinks {
  metrics: {
    /** A delivery reached one of FINISHED_OUTCOMES. Labels only: never an id or call data. */
    deliveryFinished(outcome: FinishedOutcome, labels: { eventType: string; tenant: string }): void;
  };
}
