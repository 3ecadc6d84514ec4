import { proxySinks } from '@temporalio/workflow';
import { isFinishedOutcome, tenantOf, type CallbackEvent, type DeliveryStatus, type MetricsSinks } from './contract';

/**
 * An event's deliveries as the worker's metrics see them: each time one reaches a finished
 * outcome, the `metrics` sink counts it. Samples (endpoint tests) are no real deliveries and are
 * not counted.
 */
export function deliveryMetrics(event: CallbackEvent, tenantId: string | undefined, sample: boolean) {
  const { metrics } = proxySinks<MetricsSinks>();
  const labels = { eventType: event.type, tenant: tenantOf(tenantId) };
  return {
    statusChanged(before: DeliveryStatus, after: DeliveryStatus): void {
      if (sample || before === after || !isFinishedOutcome(after)) return;
      metrics.deliveryFinished(after, labels);
    },
  };
}
