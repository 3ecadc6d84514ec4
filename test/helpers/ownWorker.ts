import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createWebhookClient } from '../../src/http/webhookClient';
import { deliverySinks } from '../../src/metrics/deliverySinks';
import { createMetrics } from '../../src/metrics/registry';
import type { Store } from '../../src/store/store';
import { payloadDataConverter } from '../../src/temporal/payloadCodec';
import { workerTuner } from '../../src/temporal/workerTuner';
import { createTemporalServices, type TemporalServices } from '../../src/temporal/services';
import { unique } from './kit';
import type { Stack } from './stack';

/**
 * A worker of a test's own on the shared stack's Temporal server, on a task queue of its own: the
 * real workflows and activities (on `store`, else the stack's), with the metrics sink the event
 * workflow calls. For tests that need a deliberately small worker, or another store.
 */

export interface OwnWorker {
  taskQueue: string;
  /** The Temporal services on this worker's task queue: events started here run on it. */
  services: TemporalServices;
  close(): Promise<void>;
}

export interface OwnWorkerOptions {
  /** The task queue's prefix (a unique suffix is added). */
  prefix: string;
  store?: Store;
  /** At most this many workflow tasks and this many activities at once (a backlog builds quickly). */
  maxConcurrent?: number;
  /** Or: the service's own slots, as src/runtime.ts gives them (src/temporal/workerTuner.ts). */
  slots?: { workflowTasks: number; activityTasks: number };
}

export async function startOwnWorker(stack: Stack, { prefix, store = stack.store, maxConcurrent, slots }: OwnWorkerOptions): Promise<OwnWorker> {
  const taskQueue = unique(prefix);
  const services = createTemporalServices(stack.client, { taskQueue, namespace: 'default' });
  const http = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({ store, http, transforms: stack.transforms, references: stack.references, ...services }),
    sinks: deliverySinks(createMetrics()),
    workflowBundle: stack.workflowBundle,
    dataConverter: payloadDataConverter(stack.codec),
    ...(maxConcurrent === undefined
      ? {}
      : { maxConcurrentWorkflowTaskExecutions: maxConcurrent, maxConcurrentActivityTaskExecutions: maxConcurrent }),
    ...(slots ? { tuner: workerTuner(slots) } : {}),
  });
  const running = worker.run();
  return {
    taskQueue,
    services,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await http.close();
    },
  };
}
