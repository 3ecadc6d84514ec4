import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Logger } from '../log';
import { attemptMetrics } from '../metrics/attempts';
import { deliverySinks } from '../metrics/deliverySinks';
import type { ServiceMetrics } from '../metrics/registry';
import { WORKFLOWS_DIR } from './workflowBundle';
import { workerTuner } from './workerTuner';
import type { Tracing } from '../telemetry/tracing';
import { tracingSinks, tracingWorkerInterceptors } from '../telemetry/temporalTracing';

export interface WorkerSetup extends Omit<ActivityDeps, 'metrics' | 'tracer'> {
  address: string;
  /** A connection to share (with the Client, for eager workflow start); else the worker opens its own. */
  connection?: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build it once); else the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The payload codec (src/temporal/payloadCodec.ts): the same one the Client uses. Required, so no worker writes payloads in clear. */
  dataConverter: DataConverter;
  /**
   * The process's metrics: the activities' attempts and the workflows' sink count into them.
   * Required: the event workflow calls its sink, and a worker without it logs an error each time.
   */
  metrics: ServiceMetrics;
  /**
   * Traces on (docs/tracing.md): the activities' interceptors and spans, and the workflows' span
   * sink. A prebuilt `workflowBundle` must then have been built with the tracing interceptors.
   */
  tracing?: Tracing;
  /** Tasks held at once (config.workerSlots, src/temporal/workerTuner.ts); absent: the SDK's defaults (40 workflow tasks, 100 activities). */
  slots?: { workflowTasks: number; activityTasks: number };
}

let runtimeInstalled = false;

/** `[::1]:9464` for IPv6 hosts, `127.0.0.1:9464` otherwise: the form the SDK's exporter binds. */
export function bindAddressOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Routes the SDK's own warnings and errors into the service log (its info chatter is dropped),
 * leaves SIGINT and SIGTERM to the service (src/runtime.ts stopOnSignals), and, given
 * `sdkMetricsAddress`, serves the SDK's own metrics (workers, polls, task latencies) there in
 * Prometheus format, through the SDK's exporter.
 */
export function installWorkerRuntime(log: Logger, options: { sdkMetricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    ...(options.sdkMetricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.sdkMetricsAddress } } } } : {}),
    // The service stops in its own order (API, then the worker, then its connection); the SDK's
    // own handlers would start draining the worker first, and the service's shutdown would then
    // find it already draining and close the connection under it.
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      // `meta` names workflow ids, activity types and attempts: ids only, never payloads.
      (level === 'ERROR' ? log.error : log.warn)(`temporal: ${message}`, meta as Record<string, unknown>);
    }),
  });
}

export async function createWorker(setup: WorkerSetup): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = setup.connection ?? (await NativeConnection.connect({ address: setup.address }));
  const { tracing } = setup;
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities({ ...setup, metrics: attemptMetrics(setup.metrics), tracer: tracing?.tracer }),
    sinks: { ...deliverySinks(setup.metrics), ...(tracing ? tracingSinks(tracing) : {}) },
    ...(tracing ? { interceptors: tracingWorkerInterceptors(tracing, { prebuiltBundle: Boolean(setup.workflowBundle) }) } : {}),
    dataConverter: setup.dataConverter,
    ...(setup.slots ? { tuner: workerTuner(setup.slots) } : {}),
    ...(setup.workflowBundle
      ? { workflowBundle: setup.workflowBundle }
      : { workflowsPath: require.resolve(WORKFLOWS_DIR) }),
  });
  return { worker, connection };
}
