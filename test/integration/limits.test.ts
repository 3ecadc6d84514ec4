import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { AppDeps } from '../../src/api/app';
import { createLogger } from '../../src/log';
import { unique } from '../helpers/kit';
import { call, sharedStack, type Stack, apiOn } from '../helpers/stack';
import { assertError } from '../helpers/apiErrors';

/**
 * Limits on what a caller can make the API do, over real HTTP against the shared stack: body
 * size (413), JSON nesting depth (400, checked before parsing), and the per-key ingestion rate
 * (429 with Retry-After).
 */

describe('request limits', function () {
  this.timeout(60_000);
  const tag = unique('limits');
  const log = createLogger('error', 'limits-test');
  let stack: Stack;
  const closers: Array<() => Promise<void>> = [];

  async function serve(deps: Partial<AppDeps>): Promise<string> {
    const app: express.Express = apiOn(stack, {
      apiKeys: [],
      log,
      ...deps,
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A valid call_started event whose JSON is exactly `bytes` long (padding in metadata). */
  function eventOfSize(bytes: number): string {
    const callId = unique('call');
    const event = (pad: string) => ({
      type: 'call_started',
      data: { callId, direction: 'inbound', from: '+1', to: '+2', startedAt: '2026-11-29T09:58:00Z', metadata: { test: tag, pad } },
    });
    const bare = Buffer.byteLength(JSON.stringify(event('')));
    assert.ok(bare <= bytes, `the smallest event is ${bare} bytes`);
    const text = JSON.stringify(event('x'.repeat(bytes - bare)));
    assert.equal(Buffer.byteLength(text), bytes);
    return text;
  }

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  describe('body size', () => {
    const limit = 2048;
    let base: string;
    before(async () => {
      base = await serve({ maxEventBytes: limit });
    });

    it('accepts an event of exactly the limit, and refuses one byte more with 413', async () => {
      const atLimit = await call(base, 'POST', '/v1/events', eventOfSize(limit));
      assert.equal(atLimit.status, 202, JSON.stringify(atLimit.body));
      const over = await call(base, 'POST', '/v1/events', eventOfSize(limit + 1));
      assertError(over, 413, 'payload_too_large');
      assert.match(over.body.error.message, new RegExp(String(limit)));
    });

    it('passes a body just under the limit on to validation, which names the problem', async () => {
      const text = eventOfSize(limit - 10).replace('"type":"call_started"', '"type":"call_startex"');
      const res = await call(base, 'POST', '/v1/events', text);
      assertError(res, 400, 'invalid_request');
      assert.match(res.body.error.message, /type/);
    });

    it('refuses an over-limit body sent without a content-length (chunked), and on every /v1 route', async () => {
      // A stream body goes out with Transfer-Encoding: chunked: the limit holds while reading, not only on content-length.
      const chunk = new TextEncoder().encode(`{"url":"http://127.0.0.1:9/x","description":"${'y'.repeat(limit)}"}`);
      const res = await fetch(`${base}/v1/endpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(chunk);
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(res.status, 413, JSON.stringify(body));
      assert.equal(body.error.code, 'payload_too_large');
    });

    it('defaults to 256 KiB', async () => {
      const defaults = await serve({});
      assert.equal((await call(defaults, 'POST', '/v1/events', eventOfSize(256 * 1024))).status, 202);
      assertError(await call(defaults, 'POST', '/v1/events', eventOfSize(256 * 1024 + 1)), 413, 'payload_too_large');
    });
  });

  describe('nesting depth', () => {
    let base: string;
    before(async () => {
      base = await serve({ maxEventBytes: 4 * 1024 * 1024 });
    });

    /** An event whose `data.deep` nests arrays so the whole body is `levels` deep. */
    const nestedEvent = (levels: number) => {
      const inner = '['.repeat(levels - 2) + ']'.repeat(levels - 2);
      return `{"type":"call_started","data":{"callId":"c1","deep":${inner}}}`;
    };

    it('lets 32 levels through to validation, and refuses 33 with 400 too_deep', async () => {
      const at = await call(base, 'POST', '/v1/events', nestedEvent(32));
      assertError(at, 400, 'invalid_request');
      assert.match(at.body.error.message, /deep/);
      const over = await call(base, 'POST', '/v1/events', nestedEvent(33));
      assertError(over, 400, 'too_deep');
      assert.match(over.body.error.message, /32/);
    });

    it('reads UTF-8 only, since the depth scan reads bytes: another charset is a 415', async () => {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-16le' },
        body: Buffer.from(nestedEvent(40), 'utf16le'),
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as any }));
      assertError(res, 415, 'unsupported_encoding');
    });

    it('does not count brackets inside strings', async () => {
      const body = JSON.stringify({ type: 'call_started', data: { callId: '['.repeat(100), direction: 'inbound', from: '{'.repeat(100), to: '+2', startedAt: '2026-11-29T09:58:00Z', metadata: { test: tag } } });
      const res = await call(base, 'POST', '/v1/events', body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
    });

    for (const [name, open, close] of [
      ['arrays', '[', ']'],
      ['objects', '{"a":', '}'],
    ] as const) {
      it(`refuses 100,000 levels of ${name} with 400, and the server still answers`, async () => {
        const body = `{"type":"call_started","data":{"callId":"c1","deep":${open.repeat(100_000)}1${close.repeat(100_000)}}}`;
        const res = await call(base, 'POST', '/v1/events', body);
        assertError(res, 400, 'too_deep');
        // Unbalanced too: the scan refuses it before anything tries to parse it.
        assertError(await call(base, 'POST', '/v1/endpoints', open.repeat(100_000)), 400, 'too_deep');
        assert.equal((await call(base, 'GET', '/healthz')).status, 200);
        const ok = await call(base, 'POST', '/v1/events', eventOfSize(600));
        assert.equal(ok.status, 202, JSON.stringify(ok.body));
      });
    }
  });

  describe('ingestion rate, per key', () => {
    const rps = 5;
    let base: string;
    const A = { authorization: 'Bearer producer-a' };
    const B = { authorization: 'Bearer producer-b' };
    before(async () => {
      base = await serve({
        ingestRps: rps,
        apiKeys: [
          { key: 'producer-a', role: 'ingest' },
          { key: 'producer-b', role: 'ingest' },
          { key: 'operator', role: 'admin' },
        ],
      });
    });

    const post = (headers: Record<string, string>) => call(base, 'POST', '/v1/events', eventOfSize(400), headers);

    it('answers 429 rate_limited with Retry-After after the burst, leaves other keys alone, and accepts again after the wait', async () => {
      const burst = await Promise.all(Array.from({ length: 3 * rps }, () => post(A)));
      const accepted = burst.filter((r) => r.status === 202);
      const limited = burst.filter((r) => r.status === 429);
      assert.equal(accepted.length + limited.length, burst.length, JSON.stringify(burst.map((r) => [r.status, r.body])));
      assert.ok(accepted.length >= rps, `a burst of ${rps} passes; ${accepted.length} did`);
      assert.ok(limited.length >= 1, 'the rest of the burst is limited');
      let wait = 0;
      for (const res of limited) {
        assertError(res, 429, 'rate_limited');
        const retryAfter = res.headers.get('retry-after') ?? '';
        assert.match(retryAfter, /^\d+$/, 'Retry-After in whole seconds');
        assert.ok(Number(retryAfter) >= 1, retryAfter);
        wait = Math.max(wait, Number(retryAfter));
      }

      // Another key has its own bucket.
      const other = await post(B);
      assert.equal(other.status, 202, JSON.stringify(other.body));
      // Only ingestion is limited: the operator's reads are not.
      assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, { authorization: 'Bearer operator' })).status, 200);

      await new Promise((r) => setTimeout(r, wait * 1000));
      const again = await post(A);
      assert.equal(again.status, 202, JSON.stringify(again.body));
    });

    it('counts refused bodies too, and without keys everyone shares one bucket', async () => {
      const anonymous = await serve({ ingestRps: 1 });
      // Invalid events: the limit is taken before the body is read, so they cost nothing beyond it.
      const results = await Promise.all(Array.from({ length: 6 }, () => call(anonymous, 'POST', '/v1/events', '{}')));
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.includes(400), statuses.join());
      assert.ok(statuses.includes(429), statuses.join());
      assert.deepEqual([...new Set(statuses)].sort(), [400, 429], statuses.join());
    });
  });
});
