import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeFlags } from './searchAttributes';
import { CallbackEventsError } from '../errors';

/**
 * The embedded default: the Temporal CLI dev server as a child process, with its SQLite
 * database under DATA_DIR, so a restart keeps every workflow.
 */

export interface DevServerOptions {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** No Web UI (tests). */
  headless?: boolean;
  /** Extra `--dynamic-config-value` pairs. */
  dynamicConfig?: Record<string, unknown>;
  /** The codec server the Web UI decodes payloads with (`http://<api>/codec`). */
  codecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Dynamic config every dev server gets: task priority (the priority lane) needs the new matcher,
 * and fairness between tenants (a fairness key per tenant, docs/tenants.md) needs it switched on.
 */
export const DEFAULT_DYNAMIC_CONFIG: Record<string, unknown> = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  // Eager workflow start (`npm start`: the API's client shares the worker's connection).
  'system.enableEagerWorkflowStart': true,
  // One partition per task queue: a single host gains nothing from four, and with four each
  // partition is fair only within itself, while a poll reaches one partition at a time.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/** The flags `npm start` passes; the benchmark reuses them to measure the same server. */
export function devServerArgs(o: DevServerOptions): string[] {
  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(o.dataDir, 'temporal.sqlite'),
    '--ip', '127.0.0.1',
    '--port', String(o.port),
    '--namespace', o.namespace,
    // SQLite's default rollback journal is about 10x slower than WAL.
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=NORMAL',
    '--log-level', 'warn',
    ...devServerSearchAttributeFlags(),
  ];
  if (o.headless) args.push('--headless');
  else {
    args.push('--ui-port', String(o.uiPort), '--ui-disable-news-fetch');
    if (o.codecEndpoint) args.push('--ui-codec-endpoint', o.codecEndpoint);
  }
  for (const [key, value] of Object.entries({ ...DEFAULT_DYNAMIC_CONFIG, ...o.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

/** Polls until the server at `address` answers; fails early once `child` has exited. */
export async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new CallbackEventsError('temporal_unavailable', `the Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new CallbackEventsError('temporal_unavailable', `the Temporal dev server did not answer on ${address} within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const log = fs.openSync(path.join(o.dataDir, 'temporal-server.log'), 'a');
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${o.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilServing(address, child, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: o.headless ? undefined : `http://127.0.0.1:${o.uiPort}`, process: child, stop };
}
