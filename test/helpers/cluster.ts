import fs from 'node:fs';
import path from 'node:path';
import { spawnProc, type Proc } from './processes';
import type { ToolSettings } from './settings';

/**
 * `npm run cluster` as a process (scripts/cluster.sh in the foreground): the multi-service Temporal
 * server on PostgreSQL, in a folder of the caller's, its frontend on `port`. Stopped as a person
 * stops it, with SIGTERM, which also stops its PostgreSQL.
 */

export interface Cluster {
  proc: Proc;
  /** What TEMPORAL_ADDRESS names. */
  address: string;
  /** The cluster's PostgreSQL (the `postgres` user, trust on loopback): room for the store's database too. */
  postgresUrl: string;
  dir: string;
  /** Resolves with the script's exit code (0: the server and PostgreSQL stopped cleanly). */
  stop(): Promise<number | null>;
}

/** Long enough for the first build of the server (several minutes on 2 cores); seconds once cached. */
export const CLUSTER_START_TIMEOUT_MS = 30 * 60_000;

export async function startCluster(settings: ToolSettings, dir: string, port: number): Promise<Cluster> {
  const env: Record<string, string> = { ...settings.baseEnv };
  if (settings.clusterCacheDir) env.CLUSTER_CACHE_DIR = settings.clusterCacheDir;
  if (settings.temporalCliPath) env.TEMPORAL_CLI_PATH = settings.temporalCliPath;
  fs.mkdirSync(dir, { recursive: true });
  const proc = spawnProc('cluster', 'bash', ['scripts/cluster.sh', 'start', dir, '--port', String(port)], {
    env,
    logFile: path.join(dir, 'cluster-script.log'),
  });
  const line = await proc.waitFor(/^cluster: Temporal .* at \S+/, CLUSTER_START_TIMEOUT_MS);
  const address = /at (\S+) /.exec(line)![1];
  const pgPort = fs.readFileSync(path.join(dir, 'postgres', 'port'), 'utf8').trim();
  return {
    proc,
    address,
    postgresUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    dir,
    // The script stops the server (which drains for a few seconds), then PostgreSQL.
    stop: () => proc.stop('SIGTERM'),
  };
}

/**
 * The same cluster started with `--background`, so its parts can be restarted on their own under
 * load: the Temporal server (`stop --server-only`, then `start` again on the same databases and
 * frontend port) and PostgreSQL (scripts/postgres.sh stop, then start `--same-port`, since the
 * server and the service were configured with its port). Each call waits until the part answers.
 */
export interface BackgroundCluster {
  address: string;
  postgresUrl: string;
  dir: string;
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** `stop DIR`: the server, then PostgreSQL; resolves with the script's exit code. */
  stop(): Promise<number>;
}

export async function startBackgroundCluster(settings: ToolSettings, dir: string, port: number): Promise<BackgroundCluster> {
  const env: Record<string, string> = { ...settings.baseEnv };
  if (settings.clusterCacheDir) env.CLUSTER_CACHE_DIR = settings.clusterCacheDir;
  if (settings.temporalCliPath) env.TEMPORAL_CLI_PATH = settings.temporalCliPath;
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'cluster-script.log');
  const run = async (script: string, args: string[], timeoutMs: number): Promise<number> => {
    const proc = spawnProc(path.basename(script), 'bash', [script, ...args], { env, logFile });
    const timer = setTimeout(() => proc.child.kill('SIGTERM'), timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code}:\n${proc.output().slice(-4000)}`);
    return code;
  };
  const startServer = async () => {
    await run('scripts/cluster.sh', ['start', dir, '--port', String(port), '--background'], CLUSTER_START_TIMEOUT_MS);
  };
  await startServer();
  const address = fs.readFileSync(path.join(dir, 'address'), 'utf8').trim();
  const pgPort = fs.readFileSync(path.join(dir, 'postgres', 'port'), 'utf8').trim();
  return {
    address,
    postgresUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    dir,
    stopServer: async () => void (await run('scripts/cluster.sh', ['stop', dir, '--server-only'], 60_000)),
    startServer,
    stopPostgres: async () => void (await run('scripts/postgres.sh', ['stop', path.join(dir, 'postgres')], 90_000)),
    startPostgres: async () => void (await run('scripts/postgres.sh', ['start', path.join(dir, 'postgres'), '--same-port'], 90_000)),
    stop: () => run('scripts/cluster.sh', ['stop', dir], 90_000),
  };
}
