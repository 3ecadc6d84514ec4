import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from './contract';

/**
 * Activity stubs shared by the event and batch workflows, with one set of options each.
 * Store reads keep trying: the store may be briefly unavailable, and giving up would lose the event.
 */
export const { matchEndpoints, endpointState } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', maximumInterval: '30 seconds' },
});

export const { emitEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  summary: 'emit an operational event',
});
