import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { devServerArgs, waitUntilServing } from '../src/temporal/devServer';
import { peakRssMb, treeCpuSeconds } from './procstat';

/**
 * The processes under test, each its own OS process so its CPU can be read from /proc:
 * the Temporal dev server (the exact flags `npm start` uses), the service's worker and API
 * (`node --import tsx src/main.ts <role>`, so the pid we hold is the node process doing the work,
 * not a tsx launcher), the receiver and the ceiling worker.
 */

export const ROOT = path.resolve(__dirname, '..');

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last 256 KiB of stdout and stderr, for error messages. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  cpuSeconds(): number;
  peakRssMb(): number;
  stop(): Promise<void>;
}

const KEEP_OUTPUT = 256 * 1024;

/** Every process we started, so an early exit of the bench still stops them all. */
const started = new Set<Proc>();

export function spawnProc(
  name: string,
  command: string,
  args: string[],
  options: { env: Record<string, string>; logFile: string; stdinPipe?: boolean },
): Proc {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: options.env,
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const log = fs.createWriteStream(options.logFile, { flags: 'a' });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    out = (out + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    log.end();
    for (const l of listeners) l();
  });
  const pid = child.pid;
  const proc: Proc = {
    name,
    pid,
    child,
    output: () => out,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before logging ${pattern}:\n${out.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not log ${pattern} within ${timeoutMs} ms:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    cpuSeconds: () => treeCpuSeconds(pid),
    peakRssMb: () => peakRssMb(pid),
    async stop() {
      started.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(proc);
  return proc;
}

/** Stops whatever is still running, newest first (API before worker before server). */
export async function stopAll(): Promise<void> {
  for (const proc of [...started].reverse()) await proc.stop().catch(() => undefined);
}

/** Last resort on a hard exit: no orphaned dev server or worker. */
function killAllSync(): void {
  for (const proc of started) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  }
}

/** For a script that starts a stack: no process outlives it, whether it exits, fails or is interrupted. */
export function stopStackOnExit(label: string): void {
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`[${label}] ${signal}: stopping the stack\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}


/**
 * The dev server exactly as `npm start` runs it (devServerArgs), headless, on a free port, or on
 * `port` (a restart on the same database and address: the chaos suite).
 */
export async function startDevServer(
  cliPath: string,
  dataDir: string,
  env: Record<string, string>,
  port?: number,
): Promise<{ proc: Proc; address: string; args: string[]; port: number }> {
  port ??= await freePort();
  const args = devServerArgs({ cliPath, dataDir, port, uiPort: 0, namespace: 'default', headless: true });
  const proc = spawnProc('temporal', cliPath, args, { env, logFile: path.join(dataDir, 'temporal-server.log') });
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, proc.child, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${proc.output().slice(-4000)}`);
  }
  return { proc, address, args, port };
}

/** `node --import tsx <script> ...args`: the pid is the node process itself. */
export function spawnTs(name: string, script: string, args: string[], env: Record<string, string>, logDir: string, stdinPipe = false): Proc {
  return spawnProc(name, process.execPath, ['--import', 'tsx', script, ...args], {
    env,
    logFile: path.join(logDir, `bench-${name}.log`),
    stdinPipe,
  });
}

/** One role of the service (`src/main.ts worker|api`, or both: `all`), waited on until it logs that it runs. */
export async function startRole(role: 'worker' | 'api' | 'all', env: Record<string, string>, logDir: string): Promise<Proc> {
  const proc = spawnTs(role, 'src/main.ts', role === 'all' ? [] : [role], env, logDir);
  // The worker bundles the workflows (webpack) before it logs this: allow for a slow machine.
  await proc.waitFor(/callback-events is running/, 180_000);
  return proc;
}

export async function startReceiver(env: Record<string, string>, logDir: string): Promise<{ proc: Proc; url: string }> {
  const proc = spawnTs('receiver', 'bench/receiver.ts', [], env, logDir, true);
  const line = await proc.waitFor(/^\{"port":\d+\}/, 60_000);
  const { port } = JSON.parse(line) as { port: number };
  return { proc, url: `http://127.0.0.1:${port}` };
}

export async function startCeilingWorker(env: Record<string, string>, logDir: string): Promise<Proc> {
  const proc = spawnTs('ceiling-worker', 'bench/ceilingWorker.ts', [], env, logDir, true);
  await proc.waitFor(/ceiling worker running/, 180_000);
  return proc;
}
