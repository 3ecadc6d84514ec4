import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deliveryId } from '../../workflows/contract';
import { writeWorkflowBundle } from '../../src/temporal/workflowBundle';
import { fastRetry, plainCompletedCall, unique } from '../helpers/kit';
import { freePort } from '../helpers/ports';
import { ProcessStack } from '../helpers/processStack';
import { parsePrometheusText, sampleValue, type PromSample } from '../helpers/prometheusText';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { toolSettings } from '../helpers/settings';
import { call, eventually } from '../helpers/stack';

/**
 * GET /metrics after real traffic (issue 16 §3), with the service deployed as it scales out: the
 * API and a worker in their own processes, each with its own registry, on a Temporal dev server,
 * delivering to real receivers. Counts are exact: each process starts from zero.
 */

const ADMIN_KEY = 'metrics-test-admin-key';
const INGEST_KEY = 'metrics-test-ingest-key';
const METRICS_TOKEN = 'metrics-test-scrape-token';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const ingest = { authorization: `Bearer ${INGEST_KEY}` };
const scraper = { authorization: `Bearer ${METRICS_TOKEN}` };

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `callback-events-${name}-`));

async function scrape(url: string, headers: Record<string, string> = scraper): Promise<PromSample[]> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheusText(text);
}

/** The event types the two endpoints take: one delivered, one sent to review. */
function disposition(tag: string, i: number) {
  return { type: 'disposition_updated', data: { callId: `call-ok-${i}`, disposition: 'booked', metadata: { test: tag } } };
}
const completed = (tag: string, i: number) => plainCompletedCall(`call-review-${i}`, tag);

describe('metrics: GET /metrics after real traffic, API and worker in their own processes', function () {
  this.timeout(300_000);
  const N = 4;
  const M = 2;
  let stack: ProcessStack;
  let workerMetrics: string;
  let sdkMetrics: string;
  const receivers: Receiver[] = [];
  let failed = false;
  /** Deliveries the first test left awaiting review. */
  let inReview: string[] = [];

  before(async function () {
    this.timeout(300_000);
    // Built once here: the worker starts from it instead of bundling at start.
    const bundle = path.join(tmp('metrics-bundle'), 'workflow-bundle.js');
    await writeWorkflowBundle(bundle);
    const workerPort = await freePort();
    const sdkPort = await freePort();
    workerMetrics = `http://127.0.0.1:${workerPort}/metrics`;
    sdkMetrics = `http://127.0.0.1:${sdkPort}/metrics`;
    stack = new ProcessStack({
      settings: toolSettings(),
      ingestRps: 20,
      env: {
        CALLBACKS_WORKFLOW_BUNDLE: bundle,
        CALLBACKS_API_KEY: `admin:${ADMIN_KEY},ingest:${INGEST_KEY}`,
        CALLBACKS_METRICS_TOKEN: METRICS_TOKEN,
        CALLBACKS_WORKER_METRICS_PORT: String(workerPort),
        CALLBACKS_SDK_METRICS_PORT: String(sdkPort),
        // Every scrape reads visibility afresh: the gauge's answer is not 15 s old.
        CALLBACKS_METRICS_CACHE_SECONDS: '0',
      },
    });
    await stack.start();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(60_000);
    await Promise.all(receivers.map((r) => r.close()));
    if (!stack) return;
    for (const role of ['api', 'worker', 'server'] as const) await stack.proc(role)?.stop().catch(() => undefined);
    const kept = stack.cleanup(failed);
    if (kept) console.log(`metrics test: logs kept in ${kept}`);
  });

  it('counts events accepted by type, deliveries finished by outcome (delivered, to the fallback, to review), attempts by outcome class, first-attempt latency, and the gauges', async () => {
    const tag = unique('metrics');
    const ok = await startReceiver();
    const failing = await startReceiver(() => 500);
    const refusing = await startReceiver(() => 400);
    receivers.push(ok, failing, refusing);
    const endpoint = async (body: Record<string, unknown>) => {
      const res = await call(stack.apiUrl, 'POST', '/v1/endpoints', { id: unique('ep'), filter: { 'data.metadata.test': tag }, ...body }, admin);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    await endpoint({ url: ok.url, eventTypes: ['disposition_updated'] });
    const reviewed = await endpoint({ url: failing.url, eventTypes: ['call_completed'], retry: fastRetry(2) });
    // A 400 is not retried: straight to the fallback url, which takes it.
    await endpoint({ url: refusing.url, fallbackUrl: ok.urlFor('/fallback'), eventTypes: ['call_completed'], retry: fastRetry(2) });

    const sent: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await call(stack.apiUrl, 'POST', '/v1/events', disposition(tag, i), ingest);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      sent.push(res.body.id);
    }
    const toReview: string[] = [];
    for (let i = 0; i < M; i++) {
      const res = await call(stack.apiUrl, 'POST', '/v1/events', completed(tag, i), ingest);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      toReview.push(res.body.id);
    }
    // The same id again: a duplicate, counted apart from the accepted.
    const again = await call(stack.apiUrl, 'POST', '/v1/events', { id: sent[0], ...disposition(tag, 0) }, ingest);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);

    await ok.waitFor(N + M, 60_000);
    inReview = toReview.map((id) => deliveryId(id, reviewed));
    for (const id of toReview) {
      await eventually(
        async () => (await call(stack.apiUrl, 'GET', `/v1/deliveries/${deliveryId(id, reviewed)}`, undefined, admin)).body?.status === 'awaiting_review',
        60_000,
        `${id} to await review`,
      );
    }

    // The worker's own registry. The sink runs once the workflow task completes: moments after the status shows.
    const worker = await eventually(async () => {
      const samples = await scrape(workerMetrics);
      const delivered = sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'delivered' });
      const inReview = sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'awaiting_review' });
      const toFallback = sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'delivered_fallback' });
      return delivered === N && inReview === M && toFallback === M ? samples : undefined;
    }, 30_000, 'the worker to count the finished deliveries');
    const finished = worker.filter((s) => s.name === 'callback_events_deliveries_finished_total');
    assert.deepEqual(
      finished.map((s) => s.labels).sort((a, b) => a.outcome.localeCompare(b.outcome)),
      [
        { outcome: 'awaiting_review', event_type: 'call_completed', tenant: 'default' },
        { outcome: 'delivered', event_type: 'disposition_updated', tenant: 'default' },
        { outcome: 'delivered_fallback', event_type: 'call_completed', tenant: 'default' },
      ],
    );
    const attempts = worker.filter((s) => s.name === 'callback_events_attempt_duration_seconds_count');
    assert.deepEqual(
      Object.fromEntries(attempts.map((s) => [s.labels.outcome, s.value])),
      { success: N + M, failed: 2 * M, rejected: M },
      'N successes and M to fallback urls; M deliveries failing twice each (fastRetry(2)); M refused once',
    );
    // A first attempt per delivery: N, and 2 for each of the M call_completed events.
    assert.equal(sampleValue(worker, 'callback_events_first_attempt_latency_seconds_count', { tenant: 'default' }), N + 2 * M);
    // Ingest is the API's: nothing of it in the worker's registry.
    assert.equal(sampleValue(worker, 'callback_events_events_accepted_total', { event_type: 'disposition_updated' }), undefined);

    const api = await scrape(`${stack.apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'callback_events_events_accepted_total', { event_type: 'disposition_updated', tenant: 'default' }), N);
    assert.equal(sampleValue(api, 'callback_events_events_accepted_total', { event_type: 'call_completed', tenant: 'default' }), M);
    assert.equal(sampleValue(api, 'callback_events_events_duplicate_total', { event_type: 'disposition_updated', tenant: 'default' }), 1);
    assert.equal(sampleValue(api, 'callback_events_deliveries_finished_total', { outcome: 'delivered' }), undefined, 'deliveries are the worker\'s');

    // Visibility is eventually consistent: the gauge reaches M within a second or so.
    const gauges = await eventually(async () => {
      const samples = await scrape(`${stack.apiUrl}/metrics`);
      return sampleValue(samples, 'callback_events_deliveries_current', { status: 'awaiting_review' }) === M ? samples : undefined;
    }, 30_000, 'the awaiting_review gauge to read M');
    for (const status of ['retrying', 'held', 'throttled']) {
      assert.equal(sampleValue(gauges, 'callback_events_deliveries_current', { status }), 0, status);
    }
  });

  it('counts the 429s of ingest', async () => {
    // Bodies that pass the rate limit fail validation (400): only the 429s are refusals, and nothing is started.
    let refused = 0;
    for (let sent = 0; refused === 0; sent++) {
      assert.ok(sent < 1000, 'no 429 after 1000 posts at 20 a second');
      const results = await Promise.all(Array.from({ length: 25 }, () => call(stack.apiUrl, 'POST', '/v1/events', {}, ingest)));
      for (const res of results) {
        if (res.status === 429) refused++;
        else assert.equal(res.status, 400, JSON.stringify(res.body));
      }
    }
    const api = await scrape(`${stack.apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'callback_events_ingest_refused_total', { status: '429' }), refused);
  });

  it('labels an event of another tenant with its tenant, at ingest and in the worker', async () => {
    const tenant = unique('acme').toLowerCase();
    const created = await call(stack.apiUrl, 'POST', '/v1/tenants', { id: tenant, name: 'Acme' }, admin);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const forTenant = { ...admin, 'x-tenant-id': tenant };
    const ok = await startReceiver();
    receivers.push(ok);
    const ep = await call(stack.apiUrl, 'POST', '/v1/endpoints', { id: unique('ep'), url: ok.url, eventTypes: ['disposition_updated'] }, forTenant);
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    const sent = await call(stack.apiUrl, 'POST', '/v1/events', disposition(tenant, 0), forTenant);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await ok.waitFor(1, 60_000);
    const worker = await eventually(async () => {
      const samples = await scrape(workerMetrics);
      return sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'delivered', tenant }) === 1 ? samples : undefined;
    }, 30_000, 'the tenant\'s delivery to be counted');
    assert.equal(sampleValue(worker, 'callback_events_first_attempt_latency_seconds_count', { tenant }), 1);
    const api = await scrape(`${stack.apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'callback_events_events_accepted_total', { event_type: 'disposition_updated', tenant }), 1);
    assert.equal(sampleValue(api, 'callback_events_events_accepted_total', { event_type: 'disposition_updated', tenant: 'default' }), N, 'the default tenant\'s count is unchanged');
  });

  it('asks for an admin key or the metrics token on the API and on the worker, in the error shape', async () => {
    for (const url of [`${stack.apiUrl}/metrics`, workerMetrics]) {
      const none = await call(url, 'GET', '');
      assert.equal(none.status, 401, url);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.equal(typeof none.body.error.message, 'string');
      const wrong = await call(url, 'GET', '', undefined, { authorization: 'Bearer not-the-token-at-all' });
      assert.equal(wrong.status, 401, url);
      assert.equal(wrong.body.error.code, 'unauthorized');
      const ingestKey = await call(url, 'GET', '', undefined, ingest);
      assert.equal(ingestKey.status, 403, url);
      assert.equal(ingestKey.body.error.code, 'forbidden');
      assert.ok((await scrape(url, scraper)).length > 0, `${url} with the metrics token`);
      assert.ok((await scrape(url, admin)).length > 0, `${url} with an admin key`);
    }
    // The token opens /metrics and nothing else.
    assert.equal((await call(stack.apiUrl, 'GET', '/v1/endpoints', undefined, scraper)).status, 401);
  });

  it('serves the Temporal SDK\'s own worker metrics on CALLBACKS_SDK_METRICS_PORT', async () => {
    const samples = await scrape(sdkMetrics, {});
    const names = new Set(samples.map((s) => s.name));
    for (const name of ['temporal_activity_execution_latency_count', 'temporal_workflow_task_execution_latency_count', 'temporal_worker_task_slots_available']) {
      assert.ok(names.has(name), `${name} in ${[...names].filter((n) => n.startsWith('temporal_')).join(', ')}`);
    }
    // The attempts above ran as activities in this worker: first attempts as local ones (workflows/firstAttempt.ts).
    const ran = ['temporal_activity_execution_latency_count', 'temporal_local_activity_execution_latency_count'];
    const deliverRuns = samples
      .filter((s) => ran.includes(s.name) && s.labels.activity_type === 'deliver')
      .reduce((sum, s) => sum + s.value, 0);
    assert.ok(deliverRuns >= N + 2 * M, `deliver activities: ${deliverRuns}`);
  });

  it('does not count again what a restarted worker replays: a discard after the restart counts once, the review before it not again', async () => {
    assert.equal(inReview.length, M, 'the first test left M deliveries in review');
    // Stopped as a deploy stops it (SIGTERM), so Temporal stops sending its workflows' tasks to it.
    await stack.proc('worker').stop();
    await stack.restart('worker');
    // The new worker has no cached workflows: the discard's query and signal replay the whole history first.
    // A query may still wait for the old worker's sticky queue to time out (503): then ask again.
    await eventually(async () => {
      const res = await call(stack.apiUrl, 'POST', `/v1/deliveries/${inReview[0]}/discard`, {}, admin);
      if (res.status === 503) return false;
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return true;
    }, 60_000, 'the discard to be taken');
    const worker = await eventually(async () => {
      const samples = await scrape(workerMetrics);
      return sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'discarded' }) === 1 ? samples : undefined;
    }, 30_000, 'the restarted worker to count the discard');
    const finished = worker.filter((s) => s.name === 'callback_events_deliveries_finished_total');
    assert.deepEqual(finished.map((s) => s.labels), [{ outcome: 'discarded', event_type: 'call_completed', tenant: 'default' }]);
    assert.equal(worker.filter((s) => s.name === 'callback_events_attempt_duration_seconds_count').length, 0, 'no attempt was made again');
  });

  it('counts a 503 while Temporal is down, and still answers the scrape, without the gauges it cannot read', async () => {
    await stack.kill('server');
    const res = await call(stack.apiUrl, 'POST', '/v1/events', disposition('down', 0), ingest);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'temporal_unavailable');
    const api = await scrape(`${stack.apiUrl}/metrics`);
    assert.equal(sampleValue(api, 'callback_events_ingest_refused_total', { status: '503' }), 1);
    assert.equal(sampleValue(api, 'callback_events_deliveries_current', { status: 'awaiting_review' }), undefined);
  });
});

describe('metrics: npm start\'s one process serves one registry, open without keys', function () {
  this.timeout(300_000);
  let stack: ProcessStack;
  let receiver: Receiver;
  let failing: Receiver;
  let failed = false;

  before(async function () {
    this.timeout(300_000);
    const bundle = path.join(tmp('metrics-bundle'), 'workflow-bundle.js');
    await writeWorkflowBundle(bundle);
    receiver = await startReceiver();
    failing = await startReceiver(() => 503);
    stack = new ProcessStack({
      settings: toolSettings(),
      ingestRps: 20,
      singleProcess: true,
      env: { CALLBACKS_WORKFLOW_BUNDLE: bundle, CALLBACKS_METRICS_CACHE_SECONDS: '0' },
    });
    await stack.start();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(60_000);
    await receiver?.close();
    await failing?.close();
    if (!stack) return;
    for (const role of ['api', 'server'] as const) await stack.proc(role)?.stop().catch(() => undefined);
    stack.cleanup(failed);
  });

  it('shows the API\'s and the worker\'s counts and the gauges on the API\'s /metrics; a review that expires counts expired', async () => {
    const tag = unique('metrics-one');
    for (const body of [
      { url: receiver.url, eventTypes: ['disposition_updated'] },
      // One attempt, then a review window of a second that no one acts in.
      { url: failing.url, eventTypes: ['call_completed'], retry: fastRetry(1), reviewWindowMs: 1000 },
    ]) {
      const created = await call(stack.apiUrl, 'POST', '/v1/endpoints', { id: unique('ep'), filter: { 'data.metadata.test': tag }, ...body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    for (const event of [disposition(tag, 0), completed(tag, 0)]) {
      const sent = await call(stack.apiUrl, 'POST', '/v1/events', event);
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
    }
    await receiver.waitFor(1, 60_000);
    const samples = await eventually(async () => {
      const got = await scrape(`${stack.apiUrl}/metrics`, {});
      const finished = (outcome: string) => sampleValue(got, 'callback_events_deliveries_finished_total', { outcome });
      return finished('delivered') === 1 && finished('expired') === 1 ? got : undefined;
    }, 60_000, 'the delivery and the expired review to be counted');
    assert.equal(sampleValue(samples, 'callback_events_deliveries_finished_total', { outcome: 'awaiting_review' }), 1, 'in review before it expired');
    assert.equal(sampleValue(samples, 'callback_events_events_accepted_total', { event_type: 'disposition_updated' }), 1);
    assert.equal(sampleValue(samples, 'callback_events_events_accepted_total', { event_type: 'call_completed' }), 1);
    assert.equal(sampleValue(samples, 'callback_events_attempt_duration_seconds_count', { outcome: 'success' }), 1);
    assert.equal(sampleValue(samples, 'callback_events_attempt_duration_seconds_count', { outcome: 'failed' }), 1);
    assert.equal(sampleValue(samples, 'callback_events_first_attempt_latency_seconds_count', { tenant: 'default' }), 2);
    // The expired delivery has left review; visibility shows it within a second or so.
    await eventually(async () => {
      const got = await scrape(`${stack.apiUrl}/metrics`, {});
      return sampleValue(got, 'callback_events_deliveries_current', { status: 'awaiting_review' }) === 0;
    }, 30_000, 'the awaiting_review gauge to read 0');
    assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes'), 'the process\'s own metrics');
  });
});
