import fs from 'node:fs';
import { createApiServer } from '../../src/api/limits';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type express from 'express';
import { createApp, type AppDeps } from '../../src/api/app';
import { reachabilityOf, type EventGateway } from '../../src/temporal/eventGateway';
import { createTemporalServices, type TemporalServices } from '../../src/temporal/services';
import { createLogger } from '../../src/log';
import type { Store } from '../../src/store/store';
import { findTemporalCli } from '../../src/temporal/cli';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { createPayloadCodec, payloadDataConverter, type EncryptionCodec } from '../../src/temporal/payloadCodec';
import { freePort } from './ports';
import { installWorkerRuntime } from '../../src/temporal/worker';
import type { TransformRunner } from '../../src/transforms/pool';
import { toolSettings } from './settings';
import type { References } from '../../src/domain/references';
import { startWorkerSide, TEST_MASTER_KEY, TEST_PAYLOAD_KEY, workflowBundle } from './workerSide';
import { createSessionSeal } from '../../src/crypto/sessionSeal';

export { TEST_MASTER_KEY, TEST_PAYLOAD_KEY, testReferences, workflowBundle } from './workerSide';

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
  /** The worker side's transform threads, which the API's preview uses too. */
  transforms: TransformRunner;
  taskQueue: string;
  dataDir: string;
  temporalAddress: string;
  cliPath: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  /** The payload codec the client, worker and `/codec` use (keyed by TEST_PAYLOAD_KEY). */
  codec: EncryptionCodec;
  /** Reference URLs, minted by the worker and served by the API (keyed by TEST_MASTER_KEY). */
  references: References;
}

const TASK_QUEUE = 'callback-events-test';
let stackPromise: Promise<Stack> | undefined;
const cleanups: Array<() => Promise<void>> = [];

export function temporalCliPath(): string {
  const settings = toolSettings();
  return findTemporalCli(settings.temporalCliPath, settings.path);
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
  const connection = await Connection.connect({ address: devServer.address });
  cleanups.push(() => connection.close());
  const codec = createPayloadCodec([TEST_PAYLOAD_KEY]);
  const dataConverter = payloadDataConverter(codec);
  const client = new Client({ connection, namespace: 'default', dataConverter });
  // After the API and the worker stop, before the connection closes: as the service stops (src/runtime.ts).
  cleanups.push(async () => reachabilityOf(client).cancelInFlight(new Error('the test stack is stopping')));
  installWorkerRuntime(createLogger('error', 'test-worker'));
  const workerConnection = await NativeConnection.connect({ address: devServer.address });
  // The API's port is chosen before the worker starts: the worker mints reference URLs that point at it.
  const apiPort = await freePort();
  cleanups.push(() => workerConnection.close());
  const side = await startWorkerSide({
    dataDir,
    client,
    connection: workerConnection,
    address: devServer.address,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    dataConverter,
    publicUrl: `http://127.0.0.1:${apiPort}`,
  });
  cleanups.push(() => side.stop());
  const { store, services, transforms, references } = side;
  const { events } = services;
  const bundle = await workflowBundle();

  const app = apiOn({ store, services, transforms, references }, { recoverPerSecond: 5, codec: { codec } });
  const server = createApiServer(app);
  await new Promise<void>((resolve) => server.listen(apiPort, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    api: `http://127.0.0.1:${apiPort}`,
    store,
    client,
    events,
    services,
    transforms,
    taskQueue: TASK_QUEUE,
    dataDir,
    temporalAddress: devServer.address,
    cliPath,
    workflowBundle: bundle,
    codec,
    references,
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

/**
 * An API on a stack's store, Temporal services, transform threads and reference keys, like the
 * stack's own: a test names only what differs (keys, policy, logging, codec, limits).
 */
export function apiOn(
  side: Pick<Stack, 'store' | 'services' | 'transforms' | 'references'>,
  overrides: Partial<AppDeps> = {},
): express.Express {
  return createApp({
    store: side.store,
    services: side.services,
    transforms: side.transforms,
    references: side.references,
    policy: { allowHttp: true, allowPrivateTargets: true },
    apiKeys: [],
    log: createLogger('error', 'test'),
    sessions: { seal: createSessionSeal([TEST_MASTER_KEY]) },
    ...overrides,
  });
}
