/**
 * The temporal_ceiling worker, its own process (like the service's worker) with its own task
 * queue and workflow bundle. Worker options are the service's (src/temporal/worker.ts):
 * connection, namespace, task queue, activities and workflows, the service's default slots
 * (src/temporal/workerSlots.ts), SDK defaults for everything else (pollers, cache), and the
 * runtime logging at WARN. What it leaves out on purpose is the
 * payload codec: encrypting payloads is part of the service's cost, on the e2e side of the ratio.
 *
 * Env: TEMPORAL_ADDRESS, BENCH_TASK_QUEUE, BENCH_RECEIVER_URL (full url), BENCH_SECRET.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { processEnvironment } from '../src/config';
import { DEFAULT_WORKER_SLOTS } from '../src/temporal/workerSlots';
import { loadCeilingWorkerSettings } from '../test/helpers/settings';
import { createCeilingActivities } from './ceilingActivities';
import { benchWebhookClient } from './signedPost';

async function main(): Promise<void> {
  const settings = loadCeilingWorkerSettings(processEnvironment());
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const http = benchWebhookClient();
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: settings.taskQueue,
    activities: createCeilingActivities(http, settings.receiverUrl, settings.secret),
    workflowsPath: require.resolve('./ceilingWorkflow'),
    maxConcurrentWorkflowTaskExecutions: DEFAULT_WORKER_SLOTS.workflowTasks,
    maxConcurrentActivityTaskExecutions: DEFAULT_WORKER_SLOTS.activityTasks,
  });
  const running = worker.run();
  console.log('ceiling worker running');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    worker.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The bench holds our stdin open; when it goes away, so do we.
  process.stdin.on('end', stop);
  process.stdin.resume();
  await running;
  await http.close();
  await connection.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
