import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { createWebhookClient, type PostRequest, type WebhookClient } from '../../src/http/webhookClient';

/** What a loopback test server saw of one request. */
interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  url: string;
  received: Received[];
  /** Responses whose connection closed before the whole response was written. */
  cutResponses: number;
  close(): Promise<void>;
}

const servers: http.Server[] = [];

/** A real HTTP server on 127.0.0.1 with an ephemeral port; the handler runs after the request body is read. */
async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, received: Received) => void,
): Promise<TestServer> {
  const received: Received[] = [];
  const sockets = new Set<net.Socket>();
  const state = { cutResponses: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      res.on('close', () => {
        if (!res.writableFinished) state.cutResponses++;
      });
      handler(req, res, r);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get cutResponses() {
      return state.cutResponses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** Polls until the predicate holds or the deadline passes. */
async function eventually(predicate: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

describe('webhook client (real loopback servers)', function () {
  this.timeout(15_000);

  let client: WebhookClient;
  const timers: NodeJS.Timeout[] = [];

  before(() => {
    // The servers here are on loopback over plain http; the outbound guard has tests of its own.
    client = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
  });

  afterEach(() => {
    for (const t of timers.splice(0)) clearInterval(t);
  });

  after(async () => {
    for (const t of timers.splice(0)) clearInterval(t);
    await Promise.all(servers.splice(0).map(closeServer));
    await client.close();
  });

  const body = JSON.stringify({ type: 'call_completed', data: { callId: 'call_1' } });
  const req = (url: string, extra: Partial<PostRequest> = {}): PostRequest => ({
    url,
    headers: {
      'content-type': 'application/json',
      'webhook-id': 'evt_1~crm',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,abc=',
    },
    body,
    timeoutMs: 5000,
    ...extra,
  });

  it('POSTs the body and headers; a 2xx is ok with status and body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('thanks');
    });
    const outcome = await client.post(req(`${server.url}/hooks/crm?x=1`));
    assert.equal(outcome.ok, true);
    assert.equal(outcome.statusCode, 200);
    assert.equal(outcome.failure, undefined);
    assert.equal(outcome.responseBody, 'thanks');
    assert.equal(typeof outcome.durationMs, 'number');
    assert.ok(outcome.durationMs >= 0);
    assert.equal(server.received.length, 1);
    const r = server.received[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/hooks/crm?x=1');
    assert.equal(r.body, body);
    assert.equal(r.headers['webhook-id'], 'evt_1~crm');
    assert.equal(r.headers['webhook-timestamp'], '1700000000');
    assert.equal(r.headers['webhook-signature'], 'v1,abc=');
    assert.equal(r.headers['content-type'], 'application/json');
  });

  it('treats 204 and 299 as ok', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(req.url === '/a' ? 204 : 299);
      res.end();
    });
    const a = await client.post(req(`${server.url}/a`));
    assert.equal(a.ok, true);
    assert.equal(a.statusCode, 204);
    const b = await client.post(req(`${server.url}/b`));
    assert.equal(b.ok, true);
    assert.equal(b.statusCode, 299);
  });

  it('a 500 is not ok: failure http with the status code and body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'http');
    assert.equal(outcome.statusCode, 500);
    assert.equal(outcome.responseBody, 'boom');
    assert.match(outcome.message, /500/);
  });

  it('a 4xx is not ok either', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(410);
      res.end();
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'http');
    assert.equal(outcome.statusCode, 410);
  });

  it('does not follow a 302 redirect', async () => {
    const target = await startServer((_req, res) => {
      res.writeHead(200);
      res.end('redirect target');
    });
    const redirector = await startServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/elsewhere` });
      res.end();
    });
    const outcome = await client.post(req(redirector.url));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 302);
    assert.equal(outcome.failure, 'http');
    assert.equal(redirector.received.length, 1);
    // Give a (wrongly) followed redirect time to arrive before checking.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(target.received.length, 0);
  });

  it('does not follow a 307 redirect (which would replay the POST body)', async () => {
    const target = await startServer((_req, res) => {
      res.writeHead(200);
      res.end();
    });
    const redirector = await startServer((_req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
    });
    const outcome = await client.post(req(redirector.url));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 307);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(target.received.length, 0);
  });

  it('surfaces the Retry-After header', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(req.url === '/date' ? 503 : 429, {
        'retry-after': req.url === '/date' ? 'Wed, 21 Oct 2015 07:28:00 GMT' : '120',
      });
      res.end();
    });
    const seconds = await client.post(req(`${server.url}/seconds`));
    assert.equal(seconds.ok, false);
    assert.equal(seconds.statusCode, 429);
    assert.equal(seconds.retryAfter, '120');
    const date = await client.post(req(`${server.url}/date`));
    assert.equal(date.statusCode, 503);
    assert.equal(date.retryAfter, 'Wed, 21 Oct 2015 07:28:00 GMT');
  });

  it('leaves retryAfter unset when the header is absent', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.retryAfter, undefined);
  });

  it('a server that never answers: failure timeout within about timeoutMs', async () => {
    const server = await startServer(() => {
      /* never answers */
    });
    const started = Date.now();
    const outcome = await client.post(req(server.url, { timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'timeout');
    assert.equal(outcome.statusCode, undefined);
    assert.ok(elapsed >= 250, `returned after ${elapsed} ms, before the timeout`);
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.ok(outcome.durationMs < 2000, `durationMs ${outcome.durationMs}`);
    assert.equal(server.received.length, 1);
  });

  it('a connection to a closed port: failure connect', async () => {
    const server = await startServer(() => undefined);
    const url = server.url;
    await server.close();
    const outcome = await client.post(req(url, { timeoutMs: 2000 }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'connect');
    assert.equal(outcome.statusCode, undefined);
    assert.match(outcome.message, /ECONNREFUSED/);
  });

  it('an unresolvable host: failure dns', async () => {
    const outcome = await client.post(req('http://nonexistent.invalid/', { timeoutMs: 5000 }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'dns', outcome.message);
    assert.equal(outcome.statusCode, undefined);
  });

  it('truncates a response body over 4 KiB to 4096 bytes', async () => {
    const full = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const server = await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(full);
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.statusCode, 500);
    assert.equal(outcome.responseBody?.length, 4096);
    assert.equal(outcome.responseBody, full.slice(0, 4096));
  });

  it('keeps a body of exactly 4096 bytes whole, and a short one as is', async () => {
    const exact = 'x'.repeat(4096);
    const server = await startServer((req, res) => {
      res.writeHead(200);
      res.end(req.url === '/exact' ? exact : 'short');
    });
    assert.equal((await client.post(req(`${server.url}/exact`))).responseBody, exact);
    assert.equal((await client.post(req(`${server.url}/short`))).responseBody, 'short');
  });

  it('answers a 2xx body whole for capture (up to 64 KiB) only when asked, and never a 5xx or a cut one', async () => {
    const json = JSON.stringify({ id: 'CASE-1042', pad: 'p'.repeat(10_000) });
    const server = await startServer((req, res) => {
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(req.url === '/huge' ? JSON.stringify({ id: 'x', pad: 'h'.repeat(70 * 1024) }) : json);
    });
    const whole = await client.post(req(server.url, { keepWholeBody: true }));
    assert.equal(whole.wholeBody, json);
    assert.equal(whole.responseBody, json.slice(0, 4096), 'the attempt log still keeps 4 KiB');
    assert.equal((await client.post(req(server.url))).wholeBody, undefined);
    assert.equal((await client.post(req(`${server.url}/fail`, { keepWholeBody: true }))).wholeBody, undefined);
    const huge = await client.post(req(`${server.url}/huge`, { keepWholeBody: true }));
    assert.equal(huge.ok, true);
    assert.equal(huge.wholeBody, undefined);
  });

  it('cuts a 1 MB response without reading it all', async () => {
    const mb = Buffer.alloc(1024 * 1024, 'y');
    // The server writes 1 MB and then keeps the response open: a client reading to the end would hang until timeoutMs.
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(mb);
    });
    const started = Date.now();
    const outcome = await client.post(req(server.url, { timeoutMs: 5000 }));
    const elapsed = Date.now() - started;
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.statusCode, 200);
    assert.ok(outcome.responseBody !== undefined);
    assert.ok(outcome.responseBody.length <= 4096, `responseBody of ${outcome.responseBody.length}`);
    assert.equal(outcome.responseBody, 'y'.repeat(4096));
    assert.ok(elapsed < 2000, `took ${elapsed} ms: the client read on instead of cutting`);
    // The client dropped the connection rather than draining the response.
    assert.ok(await eventually(() => server.cutResponses === 1), 'the server never saw the connection dropped');
  });

  it('cuts a complete 1 MB response too', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      res.end(Buffer.alloc(1024 * 1024, 'z'));
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.ok, true);
    assert.ok((outcome.responseBody?.length ?? Infinity) <= 4096);
    assert.equal(outcome.responseBody, 'z'.repeat(4096));
  });

  it('cuts a response trickling one byte every 100 ms at timeoutMs', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      const t = setInterval(() => {
        if (!res.destroyed) res.write('a');
      }, 100);
      timers.push(t);
      res.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const outcome = await client.post(req(server.url, { timeoutMs: 500 }));
    const elapsed = Date.now() - started;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.failure, 'timeout');
    assert.ok(elapsed >= 450, `returned after ${elapsed} ms, before the timeout`);
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.ok(await eventually(() => server.cutResponses === 1), 'the server never saw the connection dropped');
  });

  it('keeps working after failures: a later request to a healthy server succeeds', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(201);
      res.end('created');
    });
    const outcome = await client.post(req(server.url));
    assert.equal(outcome.ok, true);
    assert.equal(outcome.statusCode, 201);
    assert.equal(outcome.responseBody, 'created');
  });
});
