import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributes } from '../../workflows/contract';
import { Admin } from '../chaos/admin';
import { summaryLine } from '../chaos/summary';
import { faultyScript } from '../helpers/faults';
import { stopAll } from '../helpers/processes';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { toolSettings } from '../helpers/settings';
import { clusterChaos } from './chaosRun';
import { crossApiRun } from './crossApi';
import { RATE, rateLimitRun } from './rateLimit';
import { seconds, Topology } from './topology';

/**
 * The multi-process suite (`npm run test:cluster`, not part of `npm test`): the service scaled out
 * on a production-shaped Temporal (`npm run cluster`: the multi-service server on PostgreSQL
 * persistence and visibility, 4 history shards), the PostgreSQL store, 2 API processes and 3 worker
 * processes, each with an empty DATA_DIR of its own, and loopback receivers that check every
 * signature. It shows that the processes share one service: an endpoint made through one API is
 * used by events posted to the other; a rate limit holds across the workers; and a chaos ledger
 * loses nothing acknowledged while an API, a worker, the Temporal server and PostgreSQL go down.
 */

const t0 = Date.now();
const log = (msg: string) => console.log(`    [cluster +${seconds(t0)}s] ${msg}`);

describe('the service scaled out on a Temporal cluster (PostgreSQL persistence, visibility and store)', function () {
  // The first run builds the Temporal server (several minutes); startBackgroundCluster allows for it.
  this.timeout(35 * 60_000);

  const settings = toolSettings();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-cluster-'));
  // mkdtemp makes it private; PostgreSQL runs as its own user when we are root and must reach its folder.
  fs.chmodSync(dir, 0o755);
  const runId = randomBytes(2).toString('hex');
  let topology: Topology;
  /** Always 200: the cross-API and rate-limit checks. */
  let plain: Receiver;
  /** 30 % 500s and 3 % hangs, seeded, as in the chaos suite. */
  let faulty: Receiver;
  let failed = false;

  before(async () => {
    topology = await Topology.start(settings, dir, { apis: 2, workers: 3, log });
    plain = await startReceiver({ keep: 'everything' });
    faulty = await startReceiver({
      script: faultyScript({ failRate: 0.3, hangRate: 0.03, hangMs: 2_500, seed: 20261130 }),
      keep: 'summaries',
      keepAliveMs: 60_000,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async () => {
    await stopAll();
    if (failed) await topology?.cluster.stop().catch(() => undefined);
    await plain?.close();
    await faulty?.close();
    if (failed) console.log(`    logs kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers the service\'s search attributes on the cluster\'s SQL visibility', async () => {
    const connection = await Connection.connect({ address: topology.cluster.address });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const custom = Object.keys(listed.customAttributes ?? {});
      for (const key of Object.values(searchAttributes)) assert.ok(custom.includes(key.name), `${key.name} missing: ${custom.join(', ')}`);
    } finally {
      await connection.close();
    }
  });

  it('an endpoint created through one API is used by events posted to the other', async () => {
    const r = await crossApiRun({ topology, receiver: plain, tag: `cross-${runId}`, log });
    console.log(`cluster cross-api: endpoint made on api-1, ${r.events} events posted to api-2, delivered ${r.delivered}, signatures valid ${r.validSignatures}/${r.requests}, found by CallId through visibility ${r.foundByCallId}, took ${(r.totalMs / 1000).toFixed(1)} s: ok`);
  });

  it(`a rate limit of ${RATE.perSecond}/s (burst ${RATE.burst}) holds across the 3 workers: at most 10 requests in any 1-second window`, async () => {
    const started = Date.now();
    const r = await rateLimitRun({
      apis: topology.apiUrls,
      admin: new Admin(() => topology.apiUrl(0)),
      receiver: plain,
      temporalAddress: topology.cluster.address,
      tag: `rate-${runId}`,
      events: 60,
      log,
    });
    const perS = (r.delivered - RATE.burst) / (r.spanMs / 1000);
    console.log(
      `cluster rate-limit: events ${r.events}, delivered ${r.delivered}, requests ${r.requests}, at most ${r.maxInAnySecond} in any 1 s, ` +
        `${perS.toFixed(2)}/s after the burst, over ${(r.spanMs / 1000).toFixed(1)} s, by ${r.workers.length} workers, took ${seconds(started)} s: ` +
        `${r.maxInAnySecond <= 10 && r.workers.length >= 2 ? 'ok' : 'FAILED'}`,
    );
    assert.equal(r.delivered, r.events);
    assert.equal(r.invalidSignatures, 0);
    assert.ok(r.maxInAnySecond <= RATE.perSecond + RATE.burst, `${r.maxInAnySecond} requests within one second`);
    // The limit did bind: unlimited, 60 deliveries take a second or two, not (60 - burst) / 5 = 11 s.
    assert.ok(r.spanMs >= 9_000, `all delivered within ${r.spanMs} ms: the limit did not hold them back`);
    // Not held back far below the limit either: the workers share one bucket and use it.
    assert.ok(perS >= 3, `only ${perS.toFixed(2)} deliveries a second against a limit of ${RATE.perSecond}`);
    assert.ok(r.workers.length >= 2, `the deliveries ran on ${r.workers.join(', ')} only`);
  });

  it('a chaos ledger loses nothing acknowledged while an API, a worker, the Temporal server and PostgreSQL are knocked over', async () => {
    const r = await clusterChaos(
      { name: 'faults', events: 420, ratePerS: 6, at: { api: 0.12, worker: 0.3, server: 0.45, postgres: 0.65 } },
      { topology, receiver: faulty, admin: new Admin(() => topology.apiUrl(1)), runId, log },
    );
    for (const note of r.notes) log(`    ${note}`);
    log(`    peak delivery rate ${r.peakPerS.toFixed(1)}/s (10 s window, 3 workers, 30 % of requests failing)`);
    for (const problem of r.problems) log(`    PROBLEM: ${problem}`);
    for (const sample of r.ledger.lostSamples) log(`    lost: ${sample}`);
    console.log(summaryLine(r, 'cluster'));
    assert.equal(r.ledger.lost, 0, r.ledger.lostSamples.join('\n'));
    assert.equal(r.ledger.invalidSignatures, 0);
    assert.equal(r.ledger.events, 420, 'every event acknowledged in the end');
    assert.deepEqual(r.problems, []);
  });

  it('stops: every process leaves its DATA_DIR empty; `cluster.sh stop` stops the server and PostgreSQL', async () => {
    await topology.stopProcesses();
    // With the PostgreSQL store, no process wrote to its DATA_DIR.
    assert.deepEqual(topology.writtenToDataDirs(), []);
    assert.equal(await topology.cluster.stop(), 0);
    assert.equal(fs.existsSync(path.join(topology.cluster.dir, 'postgres', 'data', 'postmaster.pid')), false);
    assert.equal(fs.existsSync(path.join(topology.cluster.dir, 'server.pid')), false);
  });
});
