import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { processEnvironment } from '../../src/config';

/** `npm run bench` as a child process, for the tests that run it at a tiny load, and the result's numbers. */

const ROOT = path.resolve(__dirname, '../..');

export function runBench(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT,
      env: processEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // SIGINT lets the bench stop its own stack before it goes.
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`the bench did not finish within ${timeoutMs} ms:\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function numberAt(obj: unknown, keyPath: string): number {
  let value: unknown = obj;
  for (const key of keyPath.split('.')) {
    assert.ok(value !== null && typeof value === 'object', `${keyPath}: no object at "${key}"`);
    assert.ok(key in (value as object), `${keyPath}: missing key "${key}"`);
    value = (value as Record<string, unknown>)[key];
  }
  assert.equal(typeof value, 'number', `${keyPath} is not a number: ${JSON.stringify(value)}`);
  assert.ok(Number.isFinite(value as number), `${keyPath} is not finite`);
  return value as number;
}
