import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processEnvironment } from '../../src/config';
import { payloadDataConverter } from '../../src/temporal/payloadCodec';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { startOwnWorker } from '../helpers/ownWorker';
import { toolSettings } from '../helpers/settings';
import { call, eventually, TEST_MASTER_KEY, TEST_PAYLOAD_KEY, type Stack } from '../helpers/stack';

/**
 * Flow control against the real stack: a rate limit shared by two worker processes, the
 * `throttled` status, AIMD concurrency under 429s, and the priority lane under a backlog.
 */

/** The second worker: a separate process running workflows and activities on the stack's task queue. */
async function startSecondWorker(stack: Stack): Promise<{ child: ChildProcess; stop(): Promise<{ delivered: number }> }> {
  const bundlePath = path.join(stack.dataDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, stack.workflowBundle.code);
  const env = {
    CALLBACKS_WORKFLOW_BUNDLE: bundlePath,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    DATA_DIR: stack.dataDir,
    CALLBACKS_MASTER_KEY: TEST_MASTER_KEY.toString('base64'),
    CALLBACKS_PAYLOAD_KEY: TEST_PAYLOAD_KEY.toString('base64'),
  };
  const script = path.join(__dirname, '../helpers/activityWorkerProcess.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...processEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(async () => out.includes('ready\n') || child.exitCode !== null, 60_000, 'the second worker to start');
  assert.equal(child.exitCode, null, 'the second worker exited at start');
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, `the second worker exited with ${code}`);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, `no report from the second worker: ${out}`);
      return JSON.parse(line) as { delivered: number };
    },
  };
}

/** The most arrivals within any window of `ms` (each window starting at an arrival). */
function mostInWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j] < sorted[i] - ms + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('flow control', function () {
  this.timeout(180_000);
  const kit = useKit();
  const api = (method: string, p: string, body?: unknown) => call(kit.stack.api, method, p, body);

  it('holds an endpoint to its rate across two worker processes, showing waiting deliveries as throttled', async () => {
    const second = await startSecondWorker(kit.stack);
    let stopped = false;
    try {
      const receiver = await kit.receiver(() => 200);
      const perSecond = 5;
      const burst = 2;
      const ep = await kit.createEndpoint({ url: receiver.url, rateLimit: { perSecond, burst }, retry: fastRetry(3) });

      const count = 50;
      const sent = await Promise.all(Array.from({ length: count }, (_, i) => kit.send(kit.completedCall(`call-rate-${i}`))));

      // While the bucket drains, later deliveries wait as `throttled`: in the event, the delivery,
      // the visibility listing, and the endpoint's queue.
      const waiting = await eventually(
        async () => {
          for (const { id } of sent.slice(-20)) {
            const event = await kit.eventStatus(id);
            if (event?.deliveries?.[0]?.status === 'throttled') return event;
          }
          return undefined;
        },
        15_000,
        'a throttled delivery',
      );
      assert.equal(waiting.status, 'throttled', 'the event speaks for its waiting delivery');
      const delivery = await kit.delivery(waiting.deliveries[0].id);
      assert.ok(['throttled', 'pending', 'delivered'].includes(delivery.status), delivery.status);
      const flow = (await api('GET', `/v1/endpoints/${ep.id}`)).body.flow;
      assert.equal(flow.rate, perSecond);
      assert.ok(flow.queued > 0, `queued ${flow.queued}`);
      const listed = await eventually(
        async () => {
          const page = await api('GET', `/v1/deliveries?status=throttled&endpointId=${ep.id}&limit=100`);
          return page.body.data.length > 0 ? page.body.data : undefined;
        },
        10_000,
        'throttled deliveries in the listing',
      );
      assert.ok(listed.every((d: { status: string }) => d.status === 'throttled'));

      const requests = await receiver.waitFor(count, 60_000);
      const times = requests.map((r) => r.at);
      const most = mostInWindow(times, 1000);
      const span = Math.max(...times) - Math.min(...times);
      console.log(`      rate ${perSecond}/s, burst ${burst}: ${count} arrivals over ${span} ms, at most ${most} in any second`);
      assert.ok(most <= perSecond + burst, `${most} arrivals within one second`);
      // Not just spread: as fast as the limit allows would be (count - burst) / perSecond.
      assert.ok(span >= ((count - burst - perSecond) / perSecond) * 1000, `all ${count} within ${span} ms`);

      // None dropped, each delivered once, and a throttle is not an attempt.
      for (const { id } of sent) {
        const event = await kit.waitForStatus(id, 'delivered', 20_000);
        assert.equal(event.deliveries[0].attempts, 1, `event ${id} counted ${event.deliveries[0].attempts} attempts`);
      }
      assert.equal(receiver.requests.length, count);
      const log = await kit.delivery(`${sent[count - 1].id}~${ep.id}`);
      assert.equal(log.attempts.length, 1, 'the attempt log holds the one real attempt');

      const { delivered } = await second.stop();
      stopped = true;
      console.log(`      the second worker process delivered ${delivered} of ${count}`);
      assert.ok(delivered > 0 && delivered < count, `second worker delivered ${delivered}: both workers must have taken part`);
      assert.equal((await api('GET', `/v1/endpoints/${ep.id}`)).body.flow.queued, 0);
    } finally {
      if (!stopped) await second.stop().catch(() => undefined);
    }
  });

  it('holds an endpoint to maxConcurrency requests in flight across two worker processes', async () => {
    const second = await startSecondWorker(kit.stack);
    let stopped = false;
    try {
      const holdMs = 400;
      const receiver = await kit.receiver(() => ({ status: 200, delayMs: holdMs }));
      const maxConcurrency = 3;
      await kit.createEndpoint({ url: receiver.url, maxConcurrency, retry: fastRetry(3) });
      const count = 30;
      const sent = await Promise.all(Array.from({ length: count }, (_, i) => kit.send(kit.completedCall(`call-conc-${i}`))));
      const requests = await receiver.waitFor(count, 60_000);
      // Requests in flight when each one arrived: those that arrived within the hold before it.
      const times = requests.map((r) => r.at).sort((a, b) => a - b);
      const most = mostInWindow(times, holdMs);
      console.log(`      maxConcurrency ${maxConcurrency}: at most ${most} requests in flight at once`);
      assert.ok(most <= maxConcurrency, `${most} requests in flight at once`);
      assert.ok(most >= 2, 'requests did overlap (the limit, not the load, bounded them)');
      for (const { id } of sent) await kit.waitForStatus(id, 'delivered', 20_000);
      const { delivered } = await second.stop();
      stopped = true;
      console.log(`      the second worker process delivered ${delivered} of ${count}`);
      assert.ok(delivered > 0 && delivered < count, `second worker delivered ${delivered}: both workers must have taken part`);
    } finally {
      if (!stopped) await second.stop().catch(() => undefined);
    }
  });

  it('halves the concurrency of an endpoint that answers 429, and raises it again with successes', async () => {
    let limiting = true;
    // Slow 429s (200 ms, still well under attemptTimeoutMs / 2) hold their slots long enough to queue behind.
    const receiver = await kit.receiver(() => (limiting ? { status: 429, delayMs: 200 } : 200));
    const maxConcurrency = 8;
    const ep = await kit.createEndpoint({ url: receiver.url, maxConcurrency, retry: fastRetry(40) });
    const flowOf = async () => (await api('GET', `/v1/endpoints/${ep.id}`)).body.flow;
    assert.deepEqual(await flowOf(), { concurrency: maxConcurrency, rate: null, queued: 0, inFlight: 0 });

    const first = await Promise.all(Array.from({ length: 4 }, (_, i) => kit.send(kit.completedCall(`call-429-${i}`))));
    const low = await eventually(
      async () => {
        const flow = await flowOf();
        return flow.concurrency <= 2 ? flow : undefined;
      },
      20_000,
      'the concurrency to fall under 429s',
    );
    console.log(`      under 429s: concurrency ${low.concurrency} of ${maxConcurrency}`);
    assert.ok(low.concurrency < maxConcurrency);
    // At a concurrency of 1 or 2, four retrying deliveries cannot all be in flight: some wait.
    await eventually(
      async () => {
        for (const { id } of first) if ((await kit.eventStatus(id))?.deliveries?.[0]?.status === 'throttled') return true;
        return false;
      },
      20_000,
      'a delivery throttled by the lowered concurrency',
    );

    limiting = false;
    for (const { id } of first) await kit.waitForStatus(id, 'delivered', 30_000);
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => kit.send(kit.completedCall(`call-ok-${i}`))));
    for (const { id } of more) await kit.waitForStatus(id, 'delivered', 30_000);
    const recovered = await flowOf();
    console.log(`      after successes: concurrency ${recovered.concurrency} of ${maxConcurrency}`);
    assert.equal(recovered.concurrency, maxConcurrency);
    assert.equal(recovered.inFlight, 0);
  });

  it('puts urgent escalations and the deliveries of priority endpoints on the priority lane, and nothing else', async () => {
    // Each webhook's first arrival fails: a first attempt runs inside the event's workflow task,
    // on the start's lane (workflows/firstAttempt.ts); the retries are the activities read below.
    const seen = new Set<string>();
    const receiver = await kit.receiver((r) => {
      const id = String(r.headers['webhook-id']);
      if (seen.has(id)) return 200;
      seen.add(id);
      return 500;
    });
    const high = await kit.createEndpoint({ url: receiver.url, priority: 'high', eventTypes: ['call_completed'], retry: fastRetry(3) });
    await kit.createEndpoint({ url: receiver.url, eventTypes: ['escalation_requested'], retry: fastRetry(3) });
    const escalation = (priority: string) => ({
      type: 'escalation_requested',
      data: { callId: `call-${priority}`, priority, reasonCode: 'caller_requested_human', metadata: { test: kit.tag } },
    });
    const routine = await kit.send(kit.completedCall('call-routine'));
    const urgent = await kit.send(escalation('urgent'));
    const normal = await kit.send(escalation('normal'));
    for (const { id } of [routine, urgent, normal]) await kit.waitForStatus(id, 'delivered');

    /** The priority keys in an event's history: of its start, and of each deliver activity. */
    const keys = async (workflowId: string) => {
      const events = (await kit.stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const started = events[0].workflowExecutionStartedEventAttributes?.priority?.priorityKey ?? 0;
      const deliveries = events
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.activityType?.name === 'deliver')
        .map((a) => a?.priority?.priorityKey ?? 0);
      return { started, deliveries };
    };
    // 0: no priority of its own (Temporal's default, 3, or inherited from the workflow).
    assert.deepEqual(await keys(routine.workflowId), { started: 0, deliveries: [1] }, `endpoint ${high.id} has priority high`);
    assert.deepEqual(await keys(urgent.workflowId), { started: 1, deliveries: [0] });
    assert.deepEqual(await keys(normal.workflowId), { started: 0, deliveries: [0] });
  });

  it('delivers an urgent escalation ahead of a backlog of routine events (the priority lane)', async function () {
    // 300 in `npm test`; `npm run test:priority` runs it with 2,000 (about 2 minutes here).
    const backlog = toolSettings().priorityBacklog;
    this.timeout(Math.max(180_000, backlog * 600));
    // PRIORITY_BASELINE=1 sends the escalation as `normal` (no lane), to measure what the lane saves.
    const baseline = toolSettings().priorityBaseline;
    const { stack } = kit;
    // A task queue and a deliberately small worker of its own, so a backlog builds quickly.
    const own = await startOwnWorker(stack, { prefix: 'priority', maxConcurrent: 2 });
    const { services } = own;
    try {
      const routine = await kit.receiver(() => ({ status: 200, delayMs: 20 }));
      const urgent = await kit.receiver(() => 200);
      await kit.createEndpoint({ url: routine.url, eventTypes: ['call_completed'] });
      await kit.createEndpoint({ url: urgent.url, eventTypes: ['escalation_requested'] });

      const started = Date.now();
      for (let i = 0; i < backlog; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, backlog - i) }, (_, j) =>
            services.events.start({ event: { id: unique('evt'), ...kit.completedCall(`call-bl-${i + j}`) } }),
          ),
        );
      }
      const queuedFor = Date.now() - started;
      const deliveredBefore = routine.requests.length;
      const sentAt = Date.now();
      await services.events.start({
        event: {
          id: unique('evt'),
          type: 'escalation_requested',
          occurredAt: new Date().toISOString(),
          data: {
            callId: 'call-urgent',
            priority: baseline ? 'normal' : 'urgent',
            reasonCode: 'caller_requested_human',
            summary: 'Caller is upset and wants a person now',
            metadata: { test: kit.tag },
          },
        },
      });
      const [arrival] = await urgent.waitFor(1, 600_000);
      const tookMs = arrival.at - sentAt;
      const routineBefore = routine.requests.filter((r) => r.at <= arrival.at).length;
      console.log(
        `      ${baseline ? 'NO priority (baseline)' : 'priority lane'}: backlog ${backlog} sent in ${queuedFor} ms ` +
          `(${deliveredBefore} delivered by then); the escalation's first attempt came ${tookMs} ms after it was sent, ` +
          `after ${routineBefore} of ${backlog} routine deliveries`,
      );
      if (!baseline) {
        // Generous bounds that a place at the back of the queue misses by far: see docs/flow-control.md, "The priority lane".
        assert.ok(tookMs < 10_000, `the urgent escalation took ${tookMs} ms`);
        assert.ok(routineBefore < deliveredBefore + backlog / 2, `${routineBefore} routine deliveries went first`);
      }
    } finally {
      await own.close();
    }
  });
});
