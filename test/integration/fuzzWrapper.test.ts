import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { processEnvironment } from '../../src/config';

/**
 * scripts/fuzz-api.sh (npm run test:fuzz, a CI step): schemathesis's console ends with pytest-style
 * lines ("=== 1 warning in 97.80s ===") that a CI log reader takes for a pytest run with no test,
 * so the wrapper keeps them in its log file and prints only its own plain closing line.
 */
const PYTEST_SUMMARY = /^=+ .* in [0-9.]+s =+$/;

function runWrapper(args: string[]): Promise<{ code: number | null; output: string }> {
  const root = path.resolve(__dirname, '../..');
  return new Promise((resolve) => {
    // FUZZ_MAX_EXAMPLES: a few cases of one small operation, enough for schemathesis to print its summary.
    const child = spawn('bash', ['scripts/fuzz-api.sh', ...args], { cwd: root, env: { ...processEnvironment(), FUZZ_MAX_EXAMPLES: '3' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('the fuzz step (scripts/fuzz-api.sh)', function () {
  this.timeout(180_000);

  it('prints its own closing line and no line that reads as another runner summary', async () => {
    const { code, output } = await runWrapper(['--phases', 'fuzzing', '--include-path', '/healthz']);
    assert.equal(code, 0, output);
    const lines = output.split('\n');
    assert.deepEqual(lines.filter((l) => PYTEST_SUMMARY.test(l)), [], output);
    const closing = lines.filter((l) => /^fuzz: \d+ passed, \d+ failed, \d+ skipped$/.test(l));
    assert.equal(closing.length, 1, output);
    assert.match(closing[0], /^fuzz: [1-9]\d* passed, 0 failed/);
  });
});
