import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli';
import { freePort } from './ports';
import { killTree, startDevServerProcess, startRole, type Proc } from './processes';
import type { ToolSettings } from './settings';

/**
 * The service as it is deployed when scaled out, each part its own OS process (the bench reads
 * each one's CPU; the chaos suite kills each on its own): the Temporal dev server (npm start's
 * flags, a file database), `src/main.ts worker` and `src/main.ts api`, or both roles in one
 * process as `npm start` runs them. The in-process stack for tests is stack.ts.
 *
 * A restart reuses the same database, the same DATA_DIR and the same ports, as a supervisor
 * (systemd, Kubernetes) would: clients and the worker find the new process where the old one was.
 */

export type Role = 'server' | 'worker' | 'api';

export interface ProcessStackOptions {
  settings: ToolSettings;
  /** The API's CALLBACKS_INGEST_RPS. */
  ingestRps: number;
  /** The API and the worker in one process (`npm start`'s topology); `api` is then the worker's process. */
  singleProcess?: boolean;
  /** A data directory made already (its logs included); else a fresh temporary one. */
  dataDir?: string;
  /** More settings for the service's processes (keys, metrics ports), over the ones serviceEnv() gives. */
  env?: Record<string, string>;
  log?: (msg: string) => void;
}

export class ProcessStack {
  readonly dataDir: string;
  readonly cliPath: string;
  readonly baseEnv: Record<string, string>;
  private serverPort = 0;
  private apiPort = 0;
  private ingestRps: number;
  /** The dev server's command-line arguments, for the record. */
  serverArgs: string[] = [];
  server!: Proc;
  worker!: Proc;
  api!: Proc;

  constructor(private readonly options: ProcessStackOptions) {
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-stack-'));
    this.cliPath = findTemporalCli(options.settings.temporalCliPath, options.settings.path);
    this.baseEnv = options.settings.baseEnv;
    this.ingestRps = options.ingestRps;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.serverPort}`;
  }

  /** What the service's processes are started with. */
  serviceEnv(): Record<string, string> {
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
      ...this.options.env,
    };
  }

  async start(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    await this.startServer();
    log(`dev server on ${this.temporalAddress}`);
    this.apiPort = await freePort();
    if (this.options.singleProcess) {
      this.worker = await startRole('all', this.serviceEnv(), this.dataDir);
      this.api = this.worker;
      log(`API and worker in one process, on ${this.apiUrl}`);
      return;
    }
    // The worker first: it may generate the keys under DATA_DIR/keys that the API then reads.
    await this.startWorker();
    log('worker running');
    await this.startApi();
    log(`API on ${this.apiUrl}`);
  }

  async startServer(): Promise<void> {
    const started = await startDevServerProcess(this.cliPath, this.dataDir, this.baseEnv, this.serverPort || undefined);
    this.serverPort = started.port;
    this.serverArgs = started.args;
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
    await killTree(this.proc(role));
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
