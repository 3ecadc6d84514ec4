import fs from 'node:fs';
import path from 'node:path';
import { startBackgroundCluster, type BackgroundCluster } from '../helpers/cluster';
import { freePort } from '../helpers/ports';
import { withClient } from '../helpers/postgres';
import { killTree, startRole, type Proc } from '../helpers/processes';
import type { ToolSettings } from '../helpers/settings';
import { TEST_MASTER_KEY, TEST_PAYLOAD_KEY } from '../helpers/workerSide';

/**
 * The service scaled out on the cluster: `npm run cluster` (in the background, so its server and
 * its PostgreSQL can be restarted on their own), the PostgreSQL store in a `callbacks` database on
 * the cluster's server, N API processes and M worker processes, each with a DATA_DIR of its own
 * that it must leave empty. A process restarts as a supervisor would restart it: same port, same
 * environment, same DATA_DIR.
 */

interface Member {
  /** api-1, worker-2 …: its log is logs/<name>/bench-<role>.log in the suite's folder. */
  name: string;
  proc: Proc;
  dataDir: string;
  /** The API's port; 0 for a worker. */
  port: number;
}

export class Topology {
  readonly apis: Member[] = [];
  readonly workers: Member[] = [];
  private serviceEnv: Record<string, string> = {};

  private constructor(
    readonly dir: string,
    readonly cluster: BackgroundCluster,
  ) {}

  static async start(settings: ToolSettings, dir: string, o: { apis: number; workers: number; log: (msg: string) => void }): Promise<Topology> {
    const startedAt = Date.now();
    const cluster = await startBackgroundCluster(settings, path.join(dir, 'cluster'), await freePort());
    o.log(`cluster ready in ${seconds(startedAt)} s at ${cluster.address}`);
    const t = new Topology(dir, cluster);
    t.serviceEnv = {
      ...settings.baseEnv,
      TEMPORAL_ADDRESS: cluster.address,
      HOST: '127.0.0.1',
      // Every process of the service has the same keys (docs/operations.md).
      CALLBACKS_MASTER_KEY: TEST_MASTER_KEY.toString('base64'),
      CALLBACKS_PAYLOAD_KEY: TEST_PAYLOAD_KEY.toString('base64'),
      DATABASE_URL: await callbacksDatabase(cluster.postgresUrl),
      // The receivers live on loopback and speak plain http.
      CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
      CALLBACKS_ALLOW_HTTP: 'true',
      // info: startRole waits for the "callback-events is running" line.
      LOG_LEVEL: 'info',
    };
    const processesAt = Date.now();
    // All at once: on 2 cores their start-up (tsx, the worker's bundle) overlaps the waits of the others.
    const workers = Array.from({ length: o.workers }, (_, i) => t.launch('worker', t.member(`worker-${i + 1}`, 0)));
    const apis = [];
    for (let i = 0; i < o.apis; i++) apis.push(t.launch('api', t.member(`api-${i + 1}`, await freePort())));
    t.workers.push(...(await Promise.all(workers)));
    t.apis.push(...(await Promise.all(apis)));
    o.log(`${o.apis} API and ${o.workers} worker processes running in ${seconds(processesAt)} s`);
    return t;
  }

  apiUrl(i: number): string {
    return `http://127.0.0.1:${this.apis[i].port}`;
  }

  get apiUrls(): string[] {
    return this.apis.map((_, i) => this.apiUrl(i));
  }

  /** A process yet to start: an empty DATA_DIR, and a log folder apart from it. */
  private member(name: string, port: number): Omit<Member, 'proc'> {
    fs.mkdirSync(path.join(this.dir, 'logs', name), { recursive: true });
    return { name, port, dataDir: fs.mkdtempSync(path.join(this.dir, `${name}-data-`)) };
  }

  private async launch(role: 'api' | 'worker', m: Omit<Member, 'proc'>): Promise<Member> {
    const env = { ...this.serviceEnv, DATA_DIR: m.dataDir, ...(role === 'api' ? { PORT: String(m.port) } : {}) };
    return { ...m, proc: await startRole(role, env, path.join(this.dir, 'logs', m.name)) };
  }

  /** SIGKILL, the whole process tree at once, and wait until it is gone. */
  async kill(role: 'api' | 'worker', i: number): Promise<void> {
    await killTree((role === 'api' ? this.apis : this.workers)[i].proc);
  }

  /** Starts the process again on the same port, environment and DATA_DIR. */
  async restart(role: 'api' | 'worker', i: number): Promise<void> {
    const list = role === 'api' ? this.apis : this.workers;
    list[i] = await this.launch(role, list[i]);
  }

  /** Stops every service process (SIGTERM), APIs first. */
  async stopProcesses(): Promise<void> {
    for (const m of [...this.apis, ...this.workers]) await m.proc.stop();
  }

  /** Files any process wrote under its DATA_DIR: none, with the PostgreSQL store. */
  writtenToDataDirs(): string[] {
    return [...this.apis, ...this.workers].flatMap((m) => fs.readdirSync(m.dataDir).map((f) => `${m.name}/${f}`));
  }
}

/** The service's database on the cluster's PostgreSQL server, beside Temporal's two. */
async function callbacksDatabase(serverUrl: string): Promise<string> {
  await withClient(serverUrl, (client) => client.query('CREATE DATABASE callbacks'));
  const url = new URL(serverUrl);
  url.pathname = '/callbacks';
  return url.toString();
}

export function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
