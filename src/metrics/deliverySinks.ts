import type { InjectedSinks } from '@temporalio/worker';
import type { MetricsSinks } from '../../workflows/contract';
import type { ServiceMetrics } from './registry';

/**
 * The worker's end of the workflows' `metrics` sink (workflows/deliveryMetrics.ts). Not called
 * during replay (the SDK's default), so a workflow replayed after a worker restart or a cache
 * eviction does not count its deliveries twice.
 */
export function deliverySinks(metrics: ServiceMetrics): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      deliveryFinished: {
        fn(_info, outcome, { eventType, tenant }) {
          metrics.deliveriesFinished.inc({ outcome, event_type: eventType, tenant });
        },
        callDuringReplay: false,
      },
    },
  };
}
