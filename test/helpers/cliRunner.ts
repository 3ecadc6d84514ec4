import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './processes';

/**
 * The `callbacks` binary as a child process, for the CLI's tests: bin/callbacks.cjs under node
 * (what npx runs), with the environment given whole, so nothing of the test's own leaks in.
 */

export const CLI_BIN = path.join(ROOT, 'bin/callbacks.cjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env: Record<string, string>;
  stdin?: string;
  /** The command and its first arguments; the launcher under node by default. */
  launcher?: string[];
}

export function runCli(args: string[], o: CliRunOptions): Promise<CliRun> {
  const [command, ...first] = o.launcher ?? [process.execPath, CLI_BIN];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...first, ...args], { cwd: ROOT, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(o.stdin ?? '');
  });
}

/** runCli, expecting exit 0, with the output in the message otherwise. */
export async function runCliOk(args: string[], o: CliRunOptions): Promise<CliRun> {
  const run = await runCli(args, o);
  assert.equal(run.code, 0, `callbacks ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}
