import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { devServerArgs, waitUntilServing } from '../../src/temporal/devServer';
import { freePort } from './ports';
import { peakRssMb, processTree, treeCpuSeconds } from './procstat';

/**
 * Parts of the stack as their own OS processes, for the bench (CPU read per process from /proc),
 * the chaos suite (each killed on its own) and tests of `npm start`: the Temporal dev server with
 * the exact flags `npm start` uses, and the service's roles (`src/main.ts worker|api`).
 */

export const ROOT = path.resolve(__dirname, '../..');

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last 256 KiB of stdout and stderr, for error messages. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  cpuSeconds(): number;
  peakRssMb(): number;
  /** `signal` (SIGTERM by default), SIGKILL after 15 s; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const KEEP_OUTPUT = 256 * 1024;

/** Every process we started, so an early exit of the bench still stops them all. */
const started = new Set<Proc>();

export function spawnProc(
  name: string,
  command: string,
  args: string[],
  options: { env: Record<string, string>; logFile?: string; stdinPipe?: boolean },
): Proc {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: options.env,
    stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    log?.write(chunk);
    out = (out + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    log?.end();
    for (const l of listeners) l();
  });
  const pid = child.pid;
  const proc: Proc = {
    name,
    pid,
    child,
    exited,
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
    async stop(signal = 'SIGTERM') {
      started.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
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

/**
 * The dev server exactly as `npm start` runs it (devServerArgs), headless, on a free port, or on
 * `port` (a restart on the same database and address: the chaos suite).
 */
export async function startDevServerProcess(
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

export type ServiceRole = 'worker' | 'api' | 'all';

/**
 * One role of the service (`src/main.ts worker|api`, or both: `all`), as a process. `tsx-cli`
 * starts it as `npm start` does, through tsx's launcher (a process tree that must pass signals on);
 * `node` (the default) runs it in the node process we hold, whose CPU is then the service's own.
 */
export function spawnRole(role: ServiceRole, env: Record<string, string>, o: { logDir?: string; launcher?: 'node' | 'tsx-cli' } = {}): Proc {
  const args = role === 'all' ? [] : [role];
  const logFile = o.logDir ? path.join(o.logDir, `bench-${role}.log`) : undefined;
  if (o.launcher === 'tsx-cli') {
    return spawnProc(role, process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts', ...args], { env, logFile });
  }
  return spawnProc(role, process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env, logFile });
}

/** spawnRole, waited on until it logs that it runs. */
export async function startRole(role: ServiceRole, env: Record<string, string>, logDir: string): Promise<Proc> {
  const proc = spawnRole(role, env, { logDir });
  // The worker bundles the workflows (webpack) before it logs this: allow for a slow machine.
  await proc.waitFor(/callback-events is running/, 180_000);
  return proc;
}

/**
 * SIGKILL, the whole process tree at once (no launcher or child left behind), and wait until it is
 * gone; then forget it, so stopAll() stops only what runs.
 */
export async function killTree(proc: Proc): Promise<void> {
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
  await proc.stop();
}
