import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processEnvironment } from '../../src/config';

/**
 * The benchmark end to end at a tiny load: it starts the real stack (dev server, worker, API,
 * receiver, ceiling worker) as `npm run bench` does, and must write a complete, well-formed
 * result with an exact ledger. The figures themselves are not judged here, only their shape.
 */

const ROOT = path.resolve(__dirname, '../..');

function runBench(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

function numberAt(obj: unknown, keyPath: string): number {
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

describe('npm run bench (tiny load)', function () {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bench-test-')), 'result.json');
  let run: { code: number | null; stdout: string; stderr: string };
  let result: any;

  before(async function () {
    this.timeout(150_000);
    run = await runBench(
      ['--quick', '--duration-ms', '2500', '--warmup-ms', '0', '--events', '20', '--drain-ms', '30000', '--sample', '5', '--out', out],
      140_000,
    );
    assert.equal(run.code, 0, `the bench exited with ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  });

  after(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  it('writes every key, numeric where numeric', () => {
    assert.equal(typeof result.machine, 'object');
    numberAt(result, 'machine.nproc');
    numberAt(result, 'machine.memory_gib');
    assert.equal(typeof result.versions, 'object');
    assert.match(result.versions.node, /^v\d+/);
    assert.match(result.versions.temporal_cli, /temporal/i);
    for (const key of [
      'http_ceiling',
      'temporal_ceiling',
      'e2e',
      'ratio_e2e_over_temporal',
      'fanout.events_per_s',
      'fanout.deliveries_per_s',
      'cost.history_events_per_delivery',
      'cost.state_transitions_per_delivery',
      'cost.cpu_s_per_delivery.server',
      'cost.cpu_s_per_delivery.worker',
      'cost.cpu_s_per_delivery.api',
      'cost.worker_peak_rss_mb',
      'ledger.accepted',
      'ledger.delivered',
      'ledger.lost',
      'ledger.duplicates',
    ]) {
      numberAt(result, key);
    }
    for (const load of ['50', '80']) {
      for (const kind of ['ingest', 'first_attempt']) {
        for (const p of ['p50', 'p99', 'p999']) numberAt(result, `open_loop.${load}.${kind}.${p}`);
      }
    }
  });

  it('measured something in every phase', () => {
    for (const key of ['http_ceiling', 'temporal_ceiling', 'e2e', 'fanout.deliveries_per_s', 'cost.history_events_per_delivery', 'cost.worker_peak_rss_mb']) {
      assert.ok(numberAt(result, key) > 0, `${key} should be above 0`);
    }
    assert.ok(numberAt(result, 'open_loop.50.first_attempt.p50') > 0);
    assert.ok(numberAt(result, 'open_loop.80.first_attempt.p50') > 0);
  });

  it('keeps an exact ledger: every accepted event delivered, none lost', () => {
    assert.ok(result.ledger.accepted >= 1);
    assert.equal(result.ledger.lost, 0);
    assert.equal(result.ledger.delivered, result.ledger.accepted);
    assert.equal(result.ledger.invalid_signatures, 0);
    assert.equal(result.ok, true);
  });

  it('prints the table on stdout', () => {
    assert.match(run.stdout, /^\| measure\s+\| value \|$/m);
    for (const row of ['http_ceiling', 'temporal_ceiling', 'e2e \\(deliveries/s\\)', 'ratio e2e / temporal_ceiling', 'fanout x5', 'open 50%', 'open 80%', 'ledger']) {
      assert.match(run.stdout, new RegExp(`^\\| ${row}`, 'm'));
    }
    assert.match(run.stdout, /^result: OK$/m);
  });
});

describe('npm run bench -- --cluster (tiny load)', function () {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bench-test-')), 'result.json');
  let run: { code: number | null; stdout: string; stderr: string };
  let result: any;

  before(async function () {
    // Seconds with the server binaries cached (npm run cluster builds them once: setup does).
    this.timeout(180_000);
    run = await runBench(
      ['--cluster', '--workers', '2', '--quick', '--duration-ms', '2500', '--warmup-ms', '0', '--events', '20', '--drain-ms', '30000', '--sample', '5', '--idle-ms', '1000', '--out', out],
      170_000,
    );
    assert.equal(run.code, 0, `the bench exited with ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  });

  after(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  it('runs on the cluster with the PostgreSQL store and 2 worker processes', () => {
    assert.match(result.topology, /^cluster: .* 2 worker processes$/);
    assert.match(result.versions.temporal_server, /^v1\.\d+\.\d+$/);
    assert.match(result.setup.service_env.DATABASE_URL, /^postgres:\/\/.*\/callbacks$/);
    assert.equal(result.cost.worker_processes, 2);
    assert.equal(result.cost.per_worker_peak_rss_mb.length, 2);
    for (const rss of result.cost.per_worker_peak_rss_mb) assert.ok(rss > 50, `a worker's peak RSS ${rss} MiB`);
  });

  it('counts CPU per delivery for the server, PostgreSQL, the workers and the API', () => {
    // PostgreSQL runs detached from the cluster's script: a 0 here means its processes were missed.
    for (const group of ['server', 'postgres', 'worker', 'api']) assert.ok(numberAt(result, `cost.cpu_s_per_delivery.${group}`) > 0, `${group} CPU per delivery`);
    assert.ok(numberAt(result, 'cost.temporal_ceiling.cpu_s_per_workflow.postgres') > 0);
    for (const group of ['server', 'postgres', 'worker', 'api', 'worker_1', 'worker_2']) numberAt(result, `cost.idle_cores.${group}`);
  });

  it('delivers every accepted event exactly as on the dev server', () => {
    assert.ok(result.ledger.accepted >= 1);
    assert.equal(result.ledger.lost, 0);
    assert.equal(result.ledger.invalid_signatures, 0);
    assert.equal(result.ok, true);
    assert.ok(numberAt(result, 'e2e') > 0 && numberAt(result, 'temporal_ceiling') > 0);
  });

  it('prints the cluster heading and the per-group rows', () => {
    assert.match(run.stdout, /^callback-events bench \(quick, cluster, 2 worker\(s\), .*Temporal server v1\./m);
    assert.match(run.stdout, /^\| CPU ms per delivery: server, postgres, worker, api +\| [\d.]+, [\d.]+, [\d.]+, [\d.]+ \|$/m);
    assert.match(run.stdout, /^\| idle cores: server, postgres, workers, api/m);
    assert.match(run.stdout, /^result: OK$/m);
  });
});

describe('npm run bench -- --tenants (tiny load)', function () {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bench-test-')), 'tenants.json');
  let run: { code: number | null; stdout: string; stderr: string };
  let result: any;

  before(async function () {
    this.timeout(150_000);
    run = await runBench(['--quick', '--tenants', '--duration-ms', '3000', '--events', '20', '--drain-ms', '30000', '--idle-ms', '0', '--out', out], 140_000);
    assert.equal(run.code, 0, `the bench exited with ${run.code}:\n${run.stdout}\n${run.stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  });

  after(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  it('measures B alone, then B under A\'s flood against the target, losing nothing', () => {
    assert.ok(numberAt(result, 'b_alone.first_attempt.count') > 0, 'B alone measured');
    assert.ok(numberAt(result, 'b_under_flood.first_attempt.count') > 0, 'B under the flood measured');
    assert.equal(numberAt(result, 'b_under_flood.flood_accepted'), 20, 'the flood is capped by --events');
    for (const key of ['b_alone.undelivered', 'b_under_flood.undelivered', 'b_under_flood.flood_undelivered']) assert.equal(numberAt(result, key), 0, key);
    assert.equal(numberAt(result, 'receiver_delay_ms'), 200);
    assert.equal(numberAt(result, 'target_p50_ms'), Math.round((3 * numberAt(result, 'b_alone.first_attempt.p50') + 500) * 10) / 10);
    // The receiver's 200 ms is after the arrival the first attempt is timed to, not before it.
    assert.ok(numberAt(result, 'b_alone.first_attempt.p50') > 0);
    assert.match(run.stdout, /^\| B alone \| \d+ \| [\d.]+ \| [\d.]+ \|/m);
    assert.match(run.stdout, /^\| B under A's flood \(20 events, receiver 200 ms\) \| \d+ \| [\d.]+ \| [\d.]+ \|/m);
    // Where the time went, from the histories: every hop of every measured event read.
    for (const round of ['b_alone', 'b_under_flood']) {
      const hops = result[round].hops as Record<string, { count: number }>;
      assert.equal(Object.keys(hops).length, 5, `${round}: the five hops`);
      for (const [hop, summary] of Object.entries(hops)) assert.equal(summary.count, numberAt(result, `${round}.first_attempt.count`), `${round}: ${hop}`);
      assert.equal(result[round].by_send.length, numberAt(result, `${round}.first_attempt.count`));
    }
    assert.match(run.stdout, /^\| first workflow task queued \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$/m);
    assert.match(run.stdout, /^target: B's p50 under the flood <= 3 x [\d.]+ \+ 500 = [\d.]+ ms: (met|NOT met)/m);
  });
});
