import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { createApiServer } from '../../src/api/limits';
import { loadConfig } from '../../src/config';
import { TRACEPARENT_SIGNATURE_HEADER } from '../../src/domain/signing';
import { createWebhookClient, type WebhookClient } from '../../src/http/webhookClient';
import { deliverySinks } from '../../src/metrics/deliverySinks';
import { createMetrics } from '../../src/metrics/registry';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { ATTEMPT_SPAN_NAME } from '../../src/telemetry/attemptSpan';
import { tracingClientInterceptors, tracingSinks, tracingWorkerInterceptors } from '../../src/telemetry/temporalTracing';
import { startTracing, type Tracing } from '../../src/telemetry/tracing';
import { payloadDataConverter } from '../../src/temporal/payloadCodec';
import { createTemporalServices, type TemporalServices } from '../../src/temporal/services';
import { createWorker } from '../../src/temporal/worker';
import { bundleWorkflows } from '../../src/temporal/workflowBundle';
import { unique, useKit } from '../helpers/kit';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlpReceiver';
import { freePort } from '../helpers/ports';
import { startReceiver, type Received, type Receiver } from '../helpers/receiver';
import { serviceEnv, startService } from '../helpers/service';
import { apiOn, call, eventually, TEST_MASTER_KEY, workflowBundle } from '../helpers/stack';

/** The spans from `span` up to its root (or `top`), each found among `spans` (a missing parent fails). */
function chainOf(span: ReceivedSpan, spans: ReceivedSpan[], top?: ReceivedSpan): ReceivedSpan[] {
  const chain = [span];
  for (let s = span; s.parentSpanId && s !== top; ) {
    const parent = spans.find((p) => p.spanId === s.parentSpanId);
    assert.ok(parent, `the parent ${s.parentSpanId} of span "${s.name}" was not exported`);
    chain.push((s = parent));
  }
  return chain;
}

function verifies(secret: string, payload: string, headers: Record<string, string>, options?: { jsonParse: boolean }): boolean {
  try {
    new Webhook(secret).verify(payload, headers, options);
    return true;
  } catch {
    return false;
  }
}

/** What a receiver that trusts `traceparent` checks: the documented rule (docs/tracing.md). */
function traceparentVerifies(secret: string, q: Received, traceparent = String(q.headers.traceparent)): boolean {
  const headers = {
    'webhook-id': String(q.headers['webhook-id']),
    'webhook-timestamp': String(q.headers['webhook-timestamp']),
    'webhook-signature': String(q.headers[TRACEPARENT_SIGNATURE_HEADER]),
  };
  // The signed payload is not JSON: the library is told not to parse it.
  return verifies(secret, `${traceparent}.${q.body}`, headers, { jsonParse: false });
}

describe('tracing (OpenTelemetry, real stack, OTLP/HTTP receiver on loopback)', function () {
  this.timeout(180_000);
  const kit = useKit();
  let otlp: OtlpReceiver;
  /** An event's workflow run with tracing off, and one with it on: each is replayed on the other's bundle. */
  let untracedRun = '';
  let tracedRun = '';

  before(async () => {
    otlp = await startOtlpReceiver();
  });
  after(async () => {
    await otlp?.close();
  });

  describe('off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
    it('starts no tracer, sends no traceparent even to an endpoint that asks, and exports nothing', async () => {
      assert.equal(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing, undefined);
      const r = await kit.receiver();
      const { id: endpointId } = await kit.createEndpoint({ url: r.url, sendTraceparent: true });
      const got = await call(kit.stack.api, 'GET', `/v1/endpoints/${endpointId}`);
      assert.equal(got.body.sendTraceparent, true);
      const { id, workflowId } = await kit.send(kit.completedCall(unique('call')));
      untracedRun = workflowId;
      await kit.waitForDelivery(`${id}~${endpointId}`, 'delivered');
      const [q] = await r.waitFor(1);
      assert.equal(q.headers.traceparent, undefined);
      assert.equal(q.headers[TRACEPARENT_SIGNATURE_HEADER], undefined);
      assert.equal(q.signatureValid ?? true, true);
      // No provider is registered: a span from the global API records nothing.
      assert.equal(trace.getTracer('check').startSpan('probe').isRecording(), false);
      assert.equal(otlp.requests, 0);
    });
  });

  describe('on', () => {
    let tracing: Tracing;
    let store: Store;
    let services: TemporalServices;
    let http: WebhookClient;
    let connection: NativeConnection;
    let worker: Worker;
    let running: Promise<void>;
    let server: Server;
    let api: string;
    let tracedBundle: WorkflowBundleWithSourceMap;
    const receivers: Receiver[] = [];

    before(async function () {
      this.timeout(180_000);
      const { stack } = kit;
      // Through the service's config, as OTEL_EXPORTER_OTLP_ENDPOINT gives it.
      const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.base}/`, OTEL_SERVICE_NAME: 'callback-events-test' });
      assert.deepEqual(config.tracing, { endpoint: otlp.base, serviceName: 'callback-events-test' });
      tracing = startTracing(config.tracing!, { roles: ['api', 'worker'] });
      // A store of its own: the event matches this test's two endpoints and nothing else.
      store = openSqliteStore(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-traces-')), { masterKeys: [TEST_MASTER_KEY] });
      const dataConverter = payloadDataConverter(stack.codec);
      const client = new Client({
        connection: stack.client.connection,
        namespace: 'default',
        dataConverter,
        interceptors: tracingClientInterceptors(tracing),
      });
      const taskQueue = unique('traces');
      services = createTemporalServices(client, { taskQueue, namespace: 'default' });
      http = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
      connection = await NativeConnection.connect({ address: stack.temporalAddress });
      tracedBundle = await bundleWorkflows({ tracing: true });
      ({ worker } = await createWorker({
        address: stack.temporalAddress,
        connection,
        namespace: 'default',
        taskQueue,
        store,
        http,
        transforms: stack.transforms,
        references: stack.references,
        ...services,
        workflowBundle: tracedBundle,
        dataConverter,
        metrics: createMetrics(),
        tracing,
      }));
      running = worker.run();
      const port = await freePort();
      server = createApiServer(apiOn({ store, services, transforms: stack.transforms, references: stack.references }, { tracer: tracing.tracer }));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      api = `http://127.0.0.1:${port}`;
    });

    after(async function () {
      this.timeout(60_000);
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection?.close();
      await Promise.all(receivers.map((r) => r.close()));
      await http?.close();
      await store?.close();
      await tracing?.shutdown();
    });

    it('runs one trace from POST /v1/events through the workflow to each attempt, and signs the traceparent', async () => {
      const traced = await startReceiver();
      const plain = await startReceiver();
      receivers.push(traced, plain);
      const create = async (body: Record<string, unknown>) => {
        const res = await call(api, 'POST', '/v1/endpoints', { id: unique('ep'), ...body });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body as { id: string; secret: string };
      };
      const tracedEndpoint = await create({ url: traced.url, sendTraceparent: true });
      const plainEndpoint = await create({ url: plain.url });

      const posted = await call(api, 'POST', '/v1/events', kit.completedCall(unique('call')));
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      const eventId: string = posted.body.id;
      const [tq] = await traced.waitFor(1);
      const [pq] = await plain.waitFor(1);
      // The workflow's run span ends with the run: wait for it, then for its export.
      await services.events.result(eventId, 60_000);
      await eventually(
        async () => {
          await tracing.flush();
          const names = otlp.spans.map((s) => s.name);
          return names.includes('RunWorkflow:callbackEvent') && names.filter((n) => n === ATTEMPT_SPAN_NAME).length === 2;
        },
        30_000,
        'the workflow run and both attempt spans to be exported',
      );
      const spans = otlp.spans;

      // One trace, rooted at the request.
      const traceIds = new Set(spans.map((s) => s.traceId));
      assert.equal(traceIds.size, 1, `trace ids: ${[...traceIds].join(', ')}`);
      const [traceId] = traceIds;
      const roots = spans.filter((s) => !s.parentSpanId);
      assert.deepEqual(roots.map((s) => s.name), ['POST /v1/events']);
      const root = roots[0];
      assert.equal(root.attributes['callbacks.event_id'], eventId);
      assert.equal(root.attributes['http.response.status_code'], 202);
      assert.equal(root.resource['service.name'], 'callback-events-test');
      assert.equal(root.resource['service.role'], 'api+worker');

      // Each attempt chains back to it through the activity, the workflow run and its start.
      const attempts = spans.filter((s) => s.name === ATTEMPT_SPAN_NAME);
      for (const attempt of attempts) {
        const names = chainOf(attempt, spans).map((s) => s.name);
        assert.deepEqual(names, [
          ATTEMPT_SPAN_NAME,
          'RunActivity:deliver',
          'StartActivity:deliver',
          'RunWorkflow:callbackEvent',
          'StartWorkflow:callbackEvent',
          'POST /v1/events',
        ]);
        assert.equal(attempt.attributes['callbacks.attempt'], 1);
        assert.equal(attempt.attributes['http.response.status_code'], 200);
        assert.equal(attempt.attributes['callbacks.outcome'], 'delivered');
      }
      // Every span reaches the root (match, the activities, the workflow): no orphan.
      for (const s of spans) assert.equal(chainOf(s, spans).at(-1), root);
      const byEndpoint = (id: string) => attempts.find((s) => s.attributes['callbacks.endpoint_id'] === id);
      const tracedAttempt = byEndpoint(tracedEndpoint.id);
      assert.ok(tracedAttempt && byEndpoint(plainEndpoint.id));
      assert.equal(tracedAttempt.attributes['callbacks.traceparent_sent'], true);

      // The opted-in endpoint got the attempt span as its parent, signed; the other got none.
      assert.equal(tq.headers.traceparent, `00-${traceId}-${tracedAttempt.spanId}-01`);
      assert.ok(verifies(tracedEndpoint.secret, tq.body, tq.headers as Record<string, string>), 'webhook-signature verifies as ever');
      assert.ok(traceparentVerifies(tracedEndpoint.secret, tq), 'the traceparent signature verifies');
      const forged = `00-${traceId}-${'1'.repeat(16)}-01`;
      assert.equal(traceparentVerifies(tracedEndpoint.secret, tq, forged), false, 'a changed traceparent fails');
      assert.equal(pq.headers.traceparent, undefined);
      assert.equal(pq.headers[TRACEPARENT_SIGNATURE_HEADER], undefined);
      assert.ok(verifies(plainEndpoint.secret, pq.body, pq.headers as Record<string, string>));

      // Ids and outcomes only: no url, secret or call data in any attribute.
      const values = JSON.stringify(spans.map((s) => s.attributes));
      for (const secretish of [traced.base, plain.base, tracedEndpoint.secret, 'whsec_', '555-0100', 'Caller wants', 'ssn_last4']) {
        assert.ok(!values.includes(secretish), `an attribute carries ${secretish}`);
      }
    });

    it("continues a caller's traceparent: the request's span is its child", async () => {
      const callerTrace = 'a1'.repeat(16);
      const callerSpan = 'b2'.repeat(8);
      const posted = await call(api, 'POST', '/v1/events', kit.completedCall(unique('call')), {
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      await services.events.result(posted.body.id, 60_000);
      const span = await eventually(
        async () => {
          await tracing.flush();
          return otlp.spans.find((s) => s.name === 'POST /v1/events' && s.traceId === callerTrace);
        },
        30_000,
        "the request's span in the caller's trace",
      );
      assert.equal(span.parentSpanId, callerSpan);
      const attempts = otlp.spans.filter((s) => s.name === ATTEMPT_SPAN_NAME && s.traceId === callerTrace);
      assert.equal(attempts.length, 2);
      for (const attempt of attempts) assert.equal(chainOf(attempt, otlp.spans, span).at(-1), span);
    });

    it('carries the trace through signal-with-start: ordering per call joins its sequencer in the event\'s trace', async () => {
      const r = await startReceiver();
      receivers.push(r);
      const res = await call(api, 'POST', '/v1/endpoints', { id: unique('ep'), url: r.url, ordering: 'per_call', orderingWindowMs: 100 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const posted = await call(api, 'POST', '/v1/events', kit.completedCall(unique('call')));
      assert.equal(posted.status, 202);
      // Ordered, its delivery runs as a regular activity, whose header carries the trace (the replay test's traced run).
      tracedRun = posted.body.workflowId;
      await r.waitFor(1);
      await services.events.result(posted.body.id, 60_000);
      const named = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name);
      const root = otlp.spans.find((s) => s.name === 'POST /v1/events' && s.attributes['callbacks.event_id'] === posted.body.id);
      assert.ok(root);
      const inTrace = await eventually(
        async () => {
          await tracing.flush();
          const spans = otlp.spans.filter((s) => s.traceId === root.traceId);
          return named(spans, 'HandleSignal:sequenceJoin') && named(spans, ATTEMPT_SPAN_NAME) && spans;
        },
        30_000,
        "the sequencer's spans",
      );
      const join = named(inTrace, 'SignalWithStartWorkflow:callSequencer')!;
      assert.deepEqual(chainOf(join, inTrace).map((s) => s.name), [
        'SignalWithStartWorkflow:callSequencer',
        'RunActivity:joinSequence',
        'StartActivity:joinSequence',
        'RunWorkflow:callbackEvent',
        'StartWorkflow:callbackEvent',
        'POST /v1/events',
      ]);
      // The sequencer took the join in the event's trace; the attempt stayed in the event's workflow.
      assert.equal(named(inTrace, 'HandleSignal:sequenceJoin')!.parentSpanId, join.spanId);
      assert.ok(chainOf(named(inTrace, ATTEMPT_SPAN_NAME)!, inTrace).some((s) => s.name === 'RunWorkflow:callbackEvent'));
    });

    it('replays a run recorded with tracing off on the tracing bundle, and one recorded with it on without', async () => {
      assert.ok(untracedRun && tracedRun, 'the runs of the tests above');
      const dataConverter = payloadDataConverter(kit.stack.codec);
      const untraced = await kit.stack.client.workflow.getHandle(untracedRun).fetchHistory();
      const traced = await kit.stack.client.workflow.getHandle(tracedRun).fetchHistory();
      // The traced run's history carries the trace in its activities' headers; the other's none
      // (its first attempt was a local activity, recorded as a marker, which carries no header).
      const headerOf = (h: typeof traced) =>
        h.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes?.header?.fields ?? {};
      assert.ok('_tracer-data' in headerOf(traced));
      assert.ok(!('_tracer-data' in headerOf(untraced)));
      await Worker.runReplayHistory(
        {
          workflowBundle: tracedBundle,
          dataConverter,
          interceptors: tracingWorkerInterceptors(tracing, { prebuiltBundle: true }),
          sinks: { ...deliverySinks(createMetrics()), ...tracingSinks(tracing) },
        },
        untraced,
        untracedRun,
      );
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), dataConverter, sinks: deliverySinks(createMetrics()) },
        traced,
        tracedRun,
      );
    });
  });
  describe('npm start with OTEL_EXPORTER_OTLP_ENDPOINT (the service as a process)', () => {
    it('sends each event as one trace, workflow spans included, all sent by the time it exits on SIGTERM', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-traced-service-'));
      const collector = await startOtlpReceiver();
      const r = await kit.receiver();
      const env = {
        ...(await serviceEnv(dataDir)),
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.base,
        // None there: the worker bundles at start, with the tracing interceptors.
        CALLBACKS_WORKFLOW_BUNDLE: path.join(dataDir, 'dist', 'workflow-bundle.js'),
      };
      const serviceApi = `http://127.0.0.1:${env.PORT}`;
      const service = startService(env);
      try {
        await service.waitForLine(/callback-events is running/);
        assert.match(service.output(), /sending traces \(OTLP\/HTTP\)/);
        assert.match(service.output(), /bundling the workflows at start/);
        const ep = await call(serviceApi, 'POST', '/v1/endpoints', { url: r.url, eventTypes: ['disposition_updated'], sendTraceparent: true });
        assert.equal(ep.status, 201, JSON.stringify(ep.body));
        const event = { type: 'disposition_updated', data: { callId: unique('call'), disposition: 'booked' } };
        const posted = await call(serviceApi, 'POST', '/v1/events', event);
        assert.equal(posted.status, 202);
        const [q] = await r.waitFor(1, 30_000);
        await eventually(async () => (await call(serviceApi, 'GET', `/v1/events/${posted.body.id}`)).body?.status === 'delivered', 30_000, 'delivered');
        const [, traceId, parentId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(q.headers.traceparent)) ?? [];
        assert.ok(traceId, `traceparent: ${q.headers.traceparent}`);
        assert.ok(traceparentVerifies(ep.body.secret, q));
        assert.equal(await service.stop('SIGTERM'), 0);
        const lines = service.output().trim().split('\n');
        const afterStop = lines.slice(lines.findIndex((l) => /"msg":"stopping"/.test(l)));
        assert.deepEqual(afterStop.filter((l) => /"level":"(error|warn)"/.test(l)), [], service.output());
        // What the process held was sent before it exited.
        const spans = collector.spans.filter((s) => s.traceId === traceId);
        const attempt = spans.find((s) => s.spanId === parentId);
        assert.ok(attempt, `no span ${parentId} among ${spans.map((s) => s.name).join(', ')}`);
        assert.equal(attempt.name, ATTEMPT_SPAN_NAME);
        const names = chainOf(attempt, spans).map((s) => s.name);
        assert.deepEqual(names, [
          ATTEMPT_SPAN_NAME,
          'RunActivity:deliver',
          'StartActivity:deliver',
          'RunWorkflow:callbackEvent',
          'StartWorkflow:callbackEvent',
          'POST /v1/events',
        ]);
        assert.equal(attempt.resource['service.role'], 'api+worker');
      } finally {
        await service.stop();
        await collector.close();
      }
    });
  });
});
