import type { Sinks } from '@temporalio/workflow';
import type { DeliveryStatus } from './statuses';
import { DEFAULT_TENANT_ID } from './tenants';

/**
 * What the workflows tell the worker's metrics (src/metrics/), through the SDK's workflow sinks:
 * workflow code cannot hold a metrics registry, and a sink is not called again when the workflow
 * replays, so a counter counts each change once.
 */

/** The tenant label of an event's metrics: the one place that reads it (an event naming none is `default`'s). */
export function tenantOf(tenantId: string | undefined): string {
  return tenantId ?? DEFAULT_TENANT_ID;
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
