import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from './api/app';
import { UI_PATH } from './api/temporalUiProxy';
import { metricsApp } from './api/metricsRoutes';
import { serveApi } from './api/serve';
import type { Config } from './config';
import { resolveKeys, type ServiceKeys } from './crypto/keys';
import { createReferenceTokens } from './crypto/referenceTokens';
import { createSessionSeal } from './crypto/sessionSeal';
import type { References } from './domain/references';
import { createTemporalServices } from './temporal/services';
import { createWebhookClient, type WebhookClient } from './http/webhookClient';
import { createTransformPool } from './transforms/pool';
import { createLogger, type Logger } from './log';
import { createMetrics } from './metrics/registry';
import { cachedCounts } from './metrics/visibilityCounts';
import { openStore } from './store/openStore';
import type { Store } from './store/store';
import { findTemporalCli } from './temporal/cli';
import { startDevServer, type DevServer } from './temporal/devServer';
import { ensurePurgeSchedule } from './temporal/schedules';
import { connectToTemporal } from './temporal/connect';
import { watchTemporal } from './temporal/connectionWatch';
import { reachabilityOf } from './temporal/eventGateway';
import { lateServices } from './temporal/lateServices';
import { createPayloadCodec, payloadDataConverter } from './temporal/payloadCodec';
import { bindAddressOf, createWorker, installWorkerRuntime } from './temporal/worker';
import { prebuiltWorkflowBundle } from './temporal/workflowBundle';
import { startTracing, type Tracing } from './telemetry/tracing';
import { tracingClientInterceptors } from './telemetry/temporalTracing';

/**
 * Wiring shared by `npm start` (everything in one process tree) and the single-role
 * commands `npm run api` and `npm run worker`.
 */

export type Role = 'api' | 'worker';

/** The address a browser on this host uses for a server bound to `host` (a wildcard is not one it can call). */
export function browserUrlOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * The embedded UI's codec endpoint: the API's, relative, so the UI (served by the API at /ui)
 * calls it on whatever origin the browser used, with the login cookie (docs/temporal-ui.md).
 */
export const UI_CODEC_ENDPOINT = '/codec';

export interface Running {
  apiUrl?: string;
  /** A worker's own GET /metrics, when CALLBACKS_WORKER_METRICS_PORT is set. */
  workerMetricsUrl?: string;
  temporalAddress: string;
  /** The embedded Temporal UI as a browser opens it: the API's `/ui`. */
  uiUrl?: string;
  stop(): Promise<void>;
}

/** `env.signal`: aborted on SIGTERM/SIGINT while starting (waiting for Temporal); run then stops what it started and rejects. */
export async function run(config: Config, roles: Role[], env: { path: string; signal?: AbortSignal }): Promise<Running> {
  const log = createLogger(config.logLevel, 'callback-events');
  const cleanups: Array<() => Promise<void>> = [];
  // The API listens early (before Temporal answers) but stops first: no request lands on a worker or connection going away.
  let closeApi: (() => Promise<void>) | undefined;
  const stop = async () => {
    for (const cleanup of [closeApi, ...cleanups.reverse()]) {
      if (!cleanup) continue;
      await cleanup().catch((err) => log.error('shutdown step failed', { error: (err as Error).message }));
    }
  };
  try {
    // Resolved once: configured keys, else generated under DATA_DIR/keys (mode 0600).
    const keys: ServiceKeys = resolveKeys({ master: config.masterKeys, payload: config.payloadKeys }, config.dataDir);
    if (keys.generated.length > 0) log.info('using generated keys (set CALLBACKS_MASTER_KEY and CALLBACKS_PAYLOAD_KEY in production)', { files: keys.generated });
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: no provider, no interceptors. Stopped last, so the last spans are sent.
    const tracing: Tracing | undefined = config.tracing && startTracing(config.tracing, { roles });
    if (tracing) {
      cleanups.push(() => tracing.shutdown());
      log.info('sending traces (OTLP/HTTP)', { service: config.tracing!.serviceName });
    }
    const payloadCodec = createPayloadCodec(keys.payload);
    const dataConverter = payloadDataConverter(payloadCodec);

    let address = config.temporal.address;
    let devServer: DevServer | undefined;
    if (!address) {
      devServer = await startDevServer({
        cliPath: findTemporalCli(config.temporal.cliPath, env.path),
        dataDir: config.dataDir,
        port: config.temporal.devServerPort,
        uiPort: config.temporal.devServerUiPort,
        namespace: config.temporal.namespace,
        // With the API here, the UI is served under its origin (/ui), and decodes through its /codec.
        uiPublicPath: roles.includes('api') ? UI_PATH : undefined,
        codecEndpoint: roles.includes('api') ? UI_CODEC_ENDPOINT : undefined,
      });
      cleanups.push(() => devServer!.stop());
      address = devServer.address;
    }
    // keys.master (resolved above) is the key for secrets at rest; DATABASE_URL picks PostgreSQL.
    const store: Store = await openStore(config, keys.master);
    cleanups.push(() => store.close());
    // One pool for the process, whichever roles it runs; closed after the API and the worker stop.
    const transforms = createTransformPool();
    cleanups.push(() => transforms.close());
    // Reference tokens are signed under a key derived from the master key (every master key verifies).
    const references: References = { publicUrl: config.publicUrl, tokens: createReferenceTokens(keys.master) };

    // The API answers before Temporal does: /healthz "unavailable", calls to Temporal 503.
    const late = lateServices();
    // One registry for the process: with both roles, the API's /metrics shows the worker's counts too.
    // The gauges read from visibility belong to the API (each replica reads the same totals).
    const metrics = createMetrics({
      deliveriesNow: roles.includes('api')
        ? cachedCounts((status) => late.services.deliveries.countRunning(status), config.metrics.visibilityCacheMs)
        : undefined,
    });
    let apiUrl: string | undefined;
    let uiUrl: string | undefined;
    if (roles.includes('api')) {
      const app = createApp({
        store,
        services: late.services,
        recoverPerSecond: config.recoverPerSecond,
        maxEventBytes: config.maxEventBytes,
        ingestRps: config.ingestRps,
        policy: { allowHttp: config.allowHttp, allowPrivateTargets: config.allowPrivateTargets, allowedCidrs: config.allowedCidrs },
        apiKeys: config.apiKeys,
        log,
        transforms,
        references,
        // The embedded UI calls /codec same-origin: no other origin needs CORS. Without it, any
        // origin may (a separately deployed UI), with a key.
        codec: { codec: payloadCodec, origins: devServer?.uiUrl ? [] : undefined },
        temporalUi: devServer?.uiUrl,
        metrics: { metrics, token: config.metrics.token },
        tracer: tracing?.tracer,
        // Sealed under the master key, so every API process sharing it honours every other's logins.
        sessions: { seal: createSessionSeal(keys.master), publicOrigin: config.publicUrl },
      });
      const api = await serveApi(app, config.host, config.port);
      closeApi = api.close;
      apiUrl = api.url;
      if (devServer?.uiUrl) uiUrl = `${browserUrlOf(config.host, Number(new URL(api.url).port || 80))}${UI_PATH}`;
    }

    // With a worker here, the Client shares the worker's connection, so event workflows start
    // eagerly: the first workflow task comes back in the start's answer, not through the queue.
    const eagerStart = roles.includes('worker');
    // Before any NativeConnection: it creates the SDK's runtime, whose logging this sets up.
    // The SDK's exporter is part of its runtime: only a process with a worker has one.
    const sdkMetricsAddress = config.metrics.sdkPort ? bindAddressOf(config.host, config.metrics.sdkPort) : undefined;
    if (eagerStart) {
      installWorkerRuntime(log, { sdkMetricsAddress });
      if (sdkMetricsAddress) log.info(`Temporal SDK metrics on http://${sdkMetricsAddress}/metrics`);
    }
    const connection = await connectToTemporal({ address, namespace: config.temporal.namespace, native: eagerStart, log, signal: env.signal });
    cleanups.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter,
      ...(tracing ? { interceptors: tracingClientInterceptors(tracing) } : {}),
    });
    const services = createTemporalServices(client, {
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      eagerStart,
      localFirstAttempt: config.localFirstAttempt,
    });
    // Calls in flight fail at once when the connection breaks, not at their deadline.
    cleanups.push(watchTemporal(connection, address, log, () => reachabilityOf(client).lost()));
    // Runs after the API and the worker have stopped, before the connection closes.
    cleanups.push(async () => reachabilityOf(client).cancelInFlight(new Error('the service is stopping')));
    late.ready(services);

    let worker: Worker | undefined;
    let workerMetricsUrl: string | undefined;
    if (roles.includes('worker')) {
      const httpClient: WebhookClient = createWebhookClient({
        policy: { allowHttp: config.allowHttp, allowPrivateTargets: config.allowPrivateTargets, allowedCidrs: config.allowedCidrs },
      });
      cleanups.push(() => httpClient.close());
      const prebuilt = prebuiltWorkflowBundle(config.temporal.workflowBundlePath, { tracing: Boolean(tracing) });
      if (prebuilt.use) log.info('using the prebuilt workflow bundle', { path: prebuilt.codePath });
      else if (prebuilt.reason === 'missing') log.info('bundling the workflows at start (npm run build:workflows saves it)');
      else log.warn(`bundling the workflows at start: ${prebuilt.detail}`);
      const created = await createWorker({
        address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        store,
        http: httpClient,
        transforms,
        references,
        ...services,
        dataConverter,
        connection: connection instanceof NativeConnection ? connection : undefined,
        workflowBundle: prebuilt.use ? { codePath: prebuilt.codePath } : undefined,
        metrics,
        tracing,
        slots: config.workerSlots,
      });
      worker = created.worker;
      const running = worker.run();
      cleanups.push(async () => {
        // Already draining when the SDK's runtime saw the signal first (a worker created elsewhere).
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
      });
      running.catch((err) => log.error('worker stopped', { error: (err as Error).message }));
      await ensurePurgeSchedule(client, config.temporal.taskQueue, config.attemptRetentionDays);
      if (config.metrics.workerPort) {
        const app = metricsApp({
          registry: metrics.registry,
          apiKeys: config.apiKeys,
          token: config.metrics.token,
          onUnexpected: (err) => log.error('unexpected error', { error: err instanceof Error ? err.message : String(err) }),
        });
        const served = await serveApi(app, config.host, config.metrics.workerPort);
        cleanups.push(served.close);
        workerMetricsUrl = `${served.url}/metrics`;
      }
    }

    return { apiUrl, workerMetricsUrl, temporalAddress: address, uiUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Stops everything on SIGINT/SIGTERM, once. A signal while starting (a process waiting for
 * Temporal) aborts `signal`, which run() answers by stopping what it started; once `running` is
 * handed over, a signal stops that.
 */
export function stopOnSignals(log: Logger): { signal: AbortSignal; running(running: Running): void } {
  const starting = new AbortController();
  let started: Running | undefined;
  let stoppedBy: string | undefined;
  const stopRunning = (running: Running, signal: string) =>
    running.stop().then(
      () => {
        log.info('stopped', { signal });
        process.exit(0);
      },
      () => process.exit(1),
    );
  const onSignal = (signal: string) => {
    if (stoppedBy) return;
    stoppedBy = signal;
    log.info('stopping', { signal });
    if (started) void stopRunning(started, signal);
    else starting.abort(new Error(`stopped by ${signal} while starting`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: starting.signal,
    running(running) {
      started = running;
      // The signal came after the last step that heeds it (say, while the worker was being created).
      if (stoppedBy) void stopRunning(running, stoppedBy);
    },
  };
}
