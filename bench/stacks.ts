import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { findTemporalCli } from '../src/temporal/cli';
import { startCluster } from '../test/helpers/cluster';
import { freePort } from '../test/helpers/ports';
import { withClient } from '../test/helpers/postgres';
import { startRole, type Proc } from '../test/helpers/processes';
import { ProcessStack } from '../test/helpers/processStack';
import { processTree, treeCpuSeconds } from '../test/helpers/procstat';
import type { ToolSettings } from '../test/helpers/settings';
import type { Options } from './options';

/**
 * The stack the bench measures, as one shape whichever Temporal runs it:
 *  - `dev`: the dev server exactly as `npm start` runs it (SQLite), the store in SQLite under DATA_DIR;
 *  - `cluster`: `npm run cluster` (the multi-service server on PostgreSQL, started by the same helper
 *    as the cluster check) and the store on PostgreSQL (a database of its own on the cluster's
 *    server), with 1..N worker processes, each with its own DATA_DIR, as they run when scaled out.
 * CPU is read per process group: server, PostgreSQL (0 on the dev server: SQLite is in-process),
 * the workers together, the API.
 */

export interface CpuSource {
  cpuSeconds(): number;
}

export interface BenchStack {
  kind: 'dev' | 'cluster';
  cliPath: string;
  temporalAddress: string;
  apiUrl: string;
  /** The dev server's arguments, or the cluster's script and version. */
  serverArgs: string[];
  server: Proc;
  postgres: CpuSource;
  /** Every worker process; `worker` is all of them as one (CPU summed, the largest peak RSS). */
  workers: Proc[];
  worker: Proc;
  api: Proc;
  serviceEnv: Record<string, string>;
}

const NONE: CpuSource = { cpuSeconds: () => 0 };

/** Several processes counted as one: CPU summed, peak RSS the largest. */
export function processGroup(name: string, procs: Proc[]): Proc {
  if (procs.length === 1) return procs[0];
  return {
    ...procs[0],
    name,
    cpuSeconds: () => procs.reduce((n, p) => n + p.cpuSeconds(), 0),
    peakRssMb: () => Math.max(...procs.map((p) => p.peakRssMb())),
  };
}

/** The server version `npm run cluster` builds, read from the script (its one source). */
export function clusterServerVersion(root: string): string {
  const text = fs.readFileSync(path.join(root, 'scripts/cluster.sh'), 'utf8');
  return /^SERVER_VERSION="([^"]+)"/m.exec(text)?.[1] ?? 'unknown';
}

export async function startBenchStack(opts: Options, settings: ToolSettings, dataDir: string, ingestRps: number, log: (msg: string) => void): Promise<BenchStack> {
  return opts.cluster ? startClusterStack(opts, settings, dataDir, ingestRps, log) : startDevStack(opts, settings, dataDir, ingestRps, log);
}

async function startDevStack(opts: Options, settings: ToolSettings, dataDir: string, ingestRps: number, log: (msg: string) => void): Promise<BenchStack> {
  const stack = new ProcessStack({ settings, ingestRps, singleProcess: opts.singleProcess, dataDir, log, env: opts.serviceEnv });
  await stack.start();
  // `npm start`'s topology (one process, eager workflow start) counts all its CPU as the worker's.
  const api: Proc = opts.singleProcess
    ? { ...stack.worker, name: 'api (in the worker process)', cpuSeconds: () => 0, peakRssMb: () => 0, stop: async () => null }
    : stack.api;
  return {
    kind: 'dev',
    cliPath: stack.cliPath,
    temporalAddress: stack.temporalAddress,
    apiUrl: stack.apiUrl,
    serverArgs: stack.serverArgs,
    server: stack.server,
    postgres: NONE,
    workers: [stack.worker],
    worker: stack.worker,
    api,
    serviceEnv: stack.serviceEnv(),
  };
}

/**
 * PostgreSQL runs detached from the cluster script (pg_ctl daemonises it), so its CPU is read from
 * the postmaster's tree: the backends, and those it reaped (cutime). The server's figure leaves
 * PostgreSQL out should it ever be found in the script's tree.
 */
function postmasterPid(clusterDir: string): number {
  const pidFile = path.join(clusterDir, 'postgres', 'data', 'postmaster.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${pidFile}`);
  return pid;
}

async function startClusterStack(opts: Options, settings: ToolSettings, dataDir: string, ingestRps: number, log: (msg: string) => void): Promise<BenchStack> {
  // PostgreSQL runs as its own user when we are root and must reach its folder under DATA_DIR.
  fs.chmodSync(dataDir, 0o755);
  const startedAt = Date.now();
  const cluster = await startCluster(settings, path.join(dataDir, 'cluster'), await freePort());
  log(`cluster on ${cluster.address} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  const pgPid = postmasterPid(cluster.dir);
  const postgres: CpuSource = { cpuSeconds: () => treeCpuSeconds(pgPid) };
  const server: Proc = {
    ...cluster.proc,
    name: 'temporal cluster',
    cpuSeconds: () => {
      const tree = processTree(cluster.proc.pid);
      return tree.includes(pgPid) ? cluster.proc.cpuSeconds() - postgres.cpuSeconds() : cluster.proc.cpuSeconds();
    },
  };
  const database = new URL(cluster.postgresUrl);
  await withClient(cluster.postgresUrl, (client) => client.query('CREATE DATABASE callbacks'));
  database.pathname = '/callbacks';
  const apiPort = await freePort();
  const serviceEnv: Record<string, string> = {
    ...settings.baseEnv,
    TEMPORAL_ADDRESS: cluster.address,
    DATABASE_URL: database.toString(),
    // With DATABASE_URL nothing is shared through DATA_DIR: every process is given the keys.
    CALLBACKS_MASTER_KEY: randomBytes(32).toString('base64'),
    CALLBACKS_PAYLOAD_KEY: randomBytes(32).toString('base64'),
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
    CALLBACKS_ALLOW_HTTP: 'true',
    CALLBACKS_INGEST_RPS: String(ingestRps),
    LOG_LEVEL: 'info',
    ...opts.serviceEnv,
  };
  const ownDataDir = (name: string) => fs.mkdtempSync(path.join(dataDir, `${name}-data-`));
  const workers: Proc[] = [];
  // One after another: each bundles its workflows at start, and 2 cores are all there is.
  for (let i = 1; i <= opts.workers; i++) {
    workers.push(await startRole('worker', { ...serviceEnv, DATA_DIR: ownDataDir(`worker-${i}`) }, dataDir));
    log(`worker ${i}/${opts.workers} running`);
  }
  const api = await startRole('api', { ...serviceEnv, DATA_DIR: ownDataDir('api') }, dataDir);
  log(`API on 127.0.0.1:${apiPort}`);
  return {
    kind: 'cluster',
    cliPath: findTemporalCli(settings.temporalCliPath, settings.path),
    temporalAddress: cluster.address,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    serverArgs: ['scripts/cluster.sh', 'start', '--port', cluster.address.split(':')[1], `(${clusterServerVersion(path.resolve(__dirname, '..'))})`],
    server,
    postgres,
    workers,
    worker: processGroup(`${workers.length} workers`, workers),
    api,
    serviceEnv,
  };
}
