import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { numberAt, runBench } from '../helpers/benchRunner';

/**
 * `npm run bench -- --endpoints N` end to end at a tiny load: both e2e runs, the store filled in
 * between, and the worker's matching time read from its metrics. Only the shape is judged here.
 */

describe('npm run bench -- --endpoints (tiny load)', function () {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bench-test-')), 'endpoints.json');
  let run: { code: number | null; stdout: string; stderr: string };
  let result: any;

  before(async function () {
    this.timeout(180_000);
    run = await runBench(
      ['--endpoints', '300', '--quick', '--duration-ms', '2500', '--warmup-ms', '0', '--events', '15', '--drain-ms', '30000', '--idle-ms', '0', '--out', out],
      170_000,
    );
    assert.equal(run.code, 0, `the bench exited with ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  });

  after(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  it('fills the store to the endpoints asked for, over 100 tenants', () => {
    assert.equal(result.store.tenants, 100);
    assert.ok(numberAt(result, 'store.endpoints') >= 300, JSON.stringify(result.store));
  });

  it('measures both runs: deliveries/s and the worker\'s matching time per event', () => {
    for (const run of ['single_endpoint', 'many_endpoints']) {
      assert.ok(numberAt(result, `${run}.deliveries_per_s`) > 0, run);
      assert.equal(numberAt(result, `${run}.matching.events`), 15, run);
      assert.ok(numberAt(result, `${run}.matching.mean_ms`) > 0, run);
      assert.ok(numberAt(result, `${run}.cpu_ms_per_delivery.worker`) > 0, run);
    }
    assert.ok(numberAt(result, 'ratio_many_over_single') > 0);
    assert.equal(result.lost, 0);
  });

  it('prints both runs and their ratio', () => {
    assert.match(run.stdout, /^\| the bench's endpoints \| [\d.]+ \| [\d., ]+ \| [\d.]+ \|/m);
    assert.match(run.stdout, /^\| \d+ endpoints, 100 tenants \| [\d.]+ \| [\d., ]+ \| [\d.]+ \|/m);
    assert.match(run.stdout, /^ratio [\d.]+ \(many \/ single\); lost 0$/m);
  });
});
