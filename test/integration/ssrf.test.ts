import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { createTemporalServices } from '../../src/temporal/services';
import { createWebhookClient, type PostRequest, type WebhookClient } from '../../src/http/webhookClient';
import type { OutboundPolicy } from '../../src/http/outboundGuard';
import { generateSecret } from '../../src/domain/signing';
import { payloadDataConverter } from '../../src/temporal/payloadCodec';
import { createWorker } from '../../src/temporal/worker';
import { fastRetry, unique } from '../helpers/kit';
import { call, eventually, sharedStack } from '../helpers/stack';

/**
 * The outbound guard against real servers on loopback: names resolved for real, redirects, huge
 * and trickling responses, and a refused target through the real workflow and attempt log.
 */

interface Server {
  url: string;
  port: number;
  /** TCP connections accepted: a refused target must not even be connected to. */
  connections: number;
  requests: number;
  close(): Promise<void>;
}

const servers: Server[] = [];

async function startServer(handler: http.RequestListener, host = '127.0.0.1'): Promise<Server> {
  const server = http.createServer((req, res) => {
    state.requests++;
    handler(req, res);
  });
  const state = { connections: 0, requests: 0 };
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  const s: Server = {
    url: `http://${host}:${port}`,
    port,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

const post = (client: WebhookClient, url: string, extra: Partial<PostRequest> = {}) =>
  client.post({ url, headers: { 'content-type': 'application/json' }, body: '{"type":"call_completed"}', timeoutMs: 5000, ...extra });

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

describe('outbound guard (real servers)', function () {
  this.timeout(60_000);
  const clients: WebhookClient[] = [];
  const clientWith = (policy: OutboundPolicy) => {
    const c = createWebhookClient({ policy });
    clients.push(c);
    return c;
  };

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('refuses at delivery a name that resolves to loopback; the loopback server sees no connection', async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end('ok'));
    const url = `http://localhost:${server.port}/hook`;
    const strict = clientWith({ allowHttp: true, allowPrivateTargets: false });
    const outcome = await post(strict, url);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'blocked', outcome.message);
    assert.equal(outcome.statusCode, undefined);
    assert.match(outcome.message, /localhost resolves to (127\.0\.0\.1|::1) is in .*\(loopback\)/);
    await settle();
    assert.equal(server.connections, 0);
    assert.equal(server.requests, 0);

    // The same url is reached once the policy opens loopback: the refusal above was the guard's.
    const open = clientWith({ allowHttp: true, allowPrivateTargets: false, allowedCidrs: ['127.0.0.0/8', '::1/128'] });
    const reached = await post(open, url);
    assert.equal(reached.ok, true, reached.message);
    assert.equal(server.requests, 1);
  });

  for (const status of [302, 307]) {
    it(`does not follow a ${status} redirect to an internal address`, async () => {
      // The receiver is on 127.0.0.1, opened by allowedCidrs; the internal service on 127.0.0.2 is not.
      const internal = await startServer((_req, res) => res.writeHead(200).end('internal secrets'), '127.0.0.2');
      const redirector = await startServer((_req, res) => res.writeHead(status, { location: `${internal.url}/admin` }).end());
      const client = clientWith({ allowHttp: true, allowPrivateTargets: false, allowedCidrs: ['127.0.0.1/32'] });
      const outcome = await post(client, `${redirector.url}/hook`);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.statusCode, status);
      assert.equal(outcome.failure, 'http');
      assert.equal(redirector.requests, 1);
      await settle();
      assert.equal(internal.connections, 0);
      // And the guard would refuse the internal address itself.
      const direct = await post(client, `${internal.url}/admin`);
      assert.equal(direct.failure, 'blocked');
      await settle();
      assert.equal(internal.connections, 0);
    });
  }

  it('cuts a 50 MB response without buffering it: memory stays flat', async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const sent = { bytes: 0, cut: false };
    // Streams 50 MB in 64 KiB chunks, honouring backpressure, so the server itself holds little.
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      res.on('close', () => {
        sent.cut = !res.writableFinished;
      });
      const pump = () => {
        while (sent.bytes < total && !res.destroyed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const client = clientWith({ allowHttp: true, allowPrivateTargets: true });
    await post(client, server.url); // warm up: code paths loaded, agent created
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const outcome = await post(client, server.url);
    const elapsed = Date.now() - started;
    const grown = process.memoryUsage().rss - before;
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.responseBody, 'x'.repeat(4096));
    assert.ok(grown < 30 * 1024 * 1024, `rss grew by ${(grown / 1048576).toFixed(1)} MB`);
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    await eventually(async () => sent.cut, 5000, 'the server to see the connection dropped');
    assert.ok(sent.bytes < total / 2, `the server got to write ${sent.bytes} bytes`);
  });

  it('cuts a receiver that sends a byte a second at attemptTimeoutMs', async () => {
    const timers: NodeJS.Timeout[] = [];
    let cut = false;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      const t = setInterval(() => res.destroyed || res.write('a'), 1000);
      timers.push(t);
      res.on('close', () => {
        clearInterval(t);
        cut = !res.writableFinished;
      });
    });
    const client = clientWith({ allowHttp: true, allowPrivateTargets: true });
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const outcome = await post(client, server.url, { timeoutMs: 1500 });
    const elapsed = Date.now() - started;
    timers.forEach(clearInterval);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'timeout');
    assert.ok(elapsed >= 1400 && elapsed < 4000, `returned after ${elapsed} ms`);
    assert.ok(process.memoryUsage().rss - before < 30 * 1024 * 1024);
    await eventually(async () => cut, 5000, 'the server to see the connection dropped');
  });
});

describe('a blocked attempt through the real stack', function () {
  this.timeout(120_000);

  it('is logged as blocked and not retried: one attempt, then review', async () => {
    const stack = await sharedStack();
    // A worker of its own with a production-strict client, on its own task queue, against the
    // shared dev server (the shared worker allows private targets, as tests need).
    const taskQueue = unique('ssrf');
    const services = createTemporalServices(stack.client, { taskQueue, namespace: 'default' });
    const httpClient = createWebhookClient({ policy: { allowHttp: false, allowPrivateTargets: false } });
    const { worker, connection } = await createWorker({
      address: stack.temporalAddress,
      namespace: 'default',
      taskQueue,
      store: stack.store,
      references: stack.references,
      http: httpClient,
      transforms: stack.transforms,
      ...services,
      workflowBundle: stack.workflowBundle,
      dataConverter: payloadDataConverter(stack.codec),
    });
    const running = worker.run();
    try {
      const endpointId = unique('ssrf-ep');
      // Straight into the store: the API would refuse this url at creation.
      await stack.store.createEndpoint({
        id: endpointId,
        secret: generateSecret(),
        settings: { url: 'https://localhost:1/x', retry: fastRetry(5, { retryAllErrors: true }) },
      });
      const eventId = unique('evt');
      const event = {
        id: eventId,
        type: 'call_completed',
        occurredAt: new Date().toISOString(),
        data: {
          callId: unique('call'),
          startedAt: '2026-11-29T09:58:00Z',
          endedAt: '2026-11-29T10:00:00Z',
          durationMs: 120000,
          endedReason: 'caller_hangup',
          disposition: 'qualified',
        },
      };
      // A delivery to this one endpoint (the redelivery input), so that no other test's endpoint
      // in the shared store gets an attempt from this strict worker.
      await services.events.start({ event, redeliver: { endpointId, carried: [] } });
      const deliveryId = `${eventId}~${endpointId}`;

      const d = await eventually(
        async () => {
          const res = await call(stack.api, 'GET', `/v1/deliveries/${deliveryId}`);
          return res.status === 200 && res.body.status === 'awaiting_review' ? res.body : undefined;
        },
        30_000,
        'the delivery to await review',
      );
      assert.match(d.reason, /^refused by the outbound guard: localhost resolves to/);
      assert.equal(d.attempts.length, 1);
      assert.equal(d.attempts[0].failure, 'blocked');
      assert.equal(d.attempts[0].url, 'https://localhost:1/x');
      assert.equal(d.attempts[0].statusCode, undefined);

      // Retries would come after 50-100 ms under this policy: none come, retryAllErrors or not.
      await settle(1500);
      const attempts = await stack.store.listAttempts(deliveryId);
      assert.deepEqual(attempts.map((a) => a.failure), ['blocked']);

      await services.events.discard(eventId, endpointId, 'test done');
      await eventually(async () => (await services.events.snapshot(eventId))?.deliveries[0]?.status === 'discarded', 20_000, 'the discard');
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await httpClient.close();
    }
  });
});
