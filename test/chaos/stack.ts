import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startDevServer, startRole, type Proc } from '../../bench/stack';
import { processTree } from '../../bench/procstat';
import { findTemporalCli } from '../../src/temporal/cli';

/**
 * The service as it is deployed when scaled out, each part its own OS process so each can be
 * killed on its own: the Temporal dev server (npm start's flags, a file database), `src/main.ts
 * worker` and `src/main.ts api` (what `npm run worker` / `npm run api` run). Processes are started
 * through bench/stack.ts, which also stops every one of them should the suite die.
 *
 * A restart reuses the same database, the same DATA_DIR and the same ports, as a supervisor
 * (systemd, Kubernetes) would: clients and the worker find the new process where the old one was.
 */

export type Role = 'server' | 'worker' | 'api';

export interface ChaosStackOptions {
  /** The API's CALLBACKS_INGEST_RPS; the flood restarts the API with a lower one. */
  ingestRps: number;
}

export class ChaosStack {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-chaos-'));
  readonly cliPath = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined, process.env.PATH ?? '');
  private readonly baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir() };
  private serverPort = 0;
  private apiPort = 0;
  private ingestRps: number;
  server!: Proc;
  worker!: Proc;
  api!: Proc;

  constructor(options: ChaosStackOptions) {
    this.ingestRps = options.ingestRps;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.serverPort}`;
  }

  private serviceEnv(): Record<string, string> {
    return {
      ...this.baseEnv,
      DATA_DIR: this.dataDir,
      TEMPORAL_ADDRESS: this.temporalAddress,
      HOST: '127.0.0.1',
      PORT: String(this.apiPort),
      // The receivers live on loopback and speak plain http.
      CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
      CALLBACKS_ALLOW_HTTP: 'true',
      CALLBACKS_INGEST_RPS: String(this.ingestRps),
      // info: startRole waits for the "callback-events is running" line.
      LOG_LEVEL: 'info',
    };
  }

  async start(): Promise<void> {
    await this.startServer();
    // The worker first: it may generate the keys under DATA_DIR/keys that the API then reads.
    await this.startWorker();
    this.apiPort = await freePort();
    await this.startApi();
  }

  async startServer(): Promise<void> {
    const started = await startDevServer(this.cliPath, this.dataDir, this.baseEnv, this.serverPort || undefined);
    this.serverPort = started.port;
    this.server = started.proc;
  }

  async startWorker(): Promise<void> {
    this.worker = await startRole('worker', this.serviceEnv(), this.dataDir);
  }

  async startApi(ingestRps?: number): Promise<void> {
    if (ingestRps !== undefined) this.ingestRps = ingestRps;
    this.api = await startRole('api', this.serviceEnv(), this.dataDir);
  }

  proc(role: Role): Proc {
    return role === 'server' ? this.server : role === 'worker' ? this.worker : this.api;
  }

  /** SIGKILL, the whole process tree at once (no launcher left behind), and wait until it is gone. */
  async kill(role: Role): Promise<void> {
    const proc = this.proc(role);
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const pid of processTree(proc.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    // Forget it (it is dead): stopAll() then stops only what runs.
    await proc.stop();
  }

  async restart(role: Role): Promise<void> {
    if (role === 'server') await this.startServer();
    else if (role === 'worker') await this.startWorker();
    else await this.startApi();
  }

  /** Keeps the data directory (and the logs in it) when something failed. */
  cleanup(keep: boolean): string | undefined {
    if (keep) return this.dataDir;
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    return undefined;
  }
}
