import fs from 'node:fs';
import { createApiServer } from '../../src/api/limits';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import type { EventGateway } from '../../src/temporal/eventGateway';
import { createTemporalServices, type TemporalServices } from '../../src/temporal/services';
import { createWebhookClient } from '../../src/http/webhookClient';
import { createLogger } from '../../src/log';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { findTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { createPayloadCodec, payloadDataConverter, type EncryptionCodec } from '../../src/temporal/payloadCodec';
import { createWorker, installWorkerRuntime } from '../../src/temporal/worker';
import { bundleWorkflows } from '../../src/temporal/workflowBundle';
import { freePort } from './ports';
import { toolSettings } from './settings';

/**
 * The real parts, once per test run: a Temporal dev server on free ports, the store in a
 * temporary folder, a worker and the HTTP API, wired the way the service wires them.
 */

export interface Stack {
  api: string;
  store: Store;
  client: Client;
  events: EventGateway;
  services: TemporalServices;
  taskQueue: string;
  dataDir: string;
  temporalAddress: string;
  cliPath: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  /** The payload codec the client, worker and `/codec` use (keyed by TEST_PAYLOAD_KEY). */
  codec: EncryptionCodec;
}

/** A fixed payload key for tests, as CALLBACKS_PAYLOAD_KEY would give it. */
export const TEST_PAYLOAD_KEY = Buffer.alloc(32, 7);

/** A fixed master key for tests (endpoint secrets at rest), as CALLBACKS_MASTER_KEY would give it. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 9);

const TASK_QUEUE = 'callback-events-test';
let stackPromise: Promise<Stack> | undefined;
const cleanups: Array<() => Promise<void>> = [];

export function temporalCliPath(): string {
  const settings = toolSettings();
  return findTemporalCli(settings.temporalCliPath, settings.path);
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflows();
  return bundlePromise;
}

async function start(): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-test-'));
  const cliPath = temporalCliPath();
  const devServer: DevServer = await startDevServer({
    cliPath,
    dataDir,
    port: await freePort(),
    uiPort: 0,
    namespace: 'default',
    headless: true,
  });
  cleanups.push(() => devServer.stop());
  const store = openSqliteStore(dataDir, { masterKeys: [TEST_MASTER_KEY] });
  cleanups.push(() => store.close());
  // Receivers in tests are plain http on loopback.
  const httpClient = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
  cleanups.push(() => httpClient.close());

  const connection = await Connection.connect({ address: devServer.address });
  cleanups.push(() => connection.close());
  const codec = createPayloadCodec([TEST_PAYLOAD_KEY]);
  const dataConverter = payloadDataConverter(codec);
  const client = new Client({ connection, namespace: 'default', dataConverter });
  const services = createTemporalServices(client, { taskQueue: TASK_QUEUE, namespace: 'default' });
  const { events } = services;
  installWorkerRuntime(createLogger('error', 'test-worker'));
  const bundle = await workflowBundle();
  const { worker, connection: workerConnection } = await createWorker({
    address: devServer.address,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    store,
    http: httpClient,
    ...services,
    workflowBundle: bundle,
    dataConverter,
  });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
    await workerConnection.close();
  });

  const app = createApp({
    store,
    services,
    recoverPerSecond: 5,
    policy: { allowHttp: true, allowPrivateTargets: true },
    apiKeys: [],
    log: createLogger('error', 'test'),
    codec: { codec },
  });
  const server = createApiServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return {
    api: `http://127.0.0.1:${port}`,
    store,
    client,
    events,
    services,
    taskQueue: TASK_QUEUE,
    dataDir,
    temporalAddress: devServer.address,
    cliPath,
    workflowBundle: bundle,
    codec,
  };
}

export function sharedStack(): Promise<Stack> {
  stackPromise ??= start();
  return stackPromise;
}

// A root-level hook: runs once after every test file is done.
after(async function () {
  this.timeout(60_000);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** JSON over real HTTP. */
export async function call(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + pathname, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls until `check` returns a value, or fails with the last seen state. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
