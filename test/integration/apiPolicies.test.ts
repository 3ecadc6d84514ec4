import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { createTemporalServices } from '../../src/temporal/services';
import { createLogger } from '../../src/log';
import type { UrlPolicy } from '../../src/domain/urlPolicy';
import { freePort } from '../helpers/ports';
import { unique } from '../helpers/kit';
import { call, sharedStack, type Stack, apiOn } from '../helpers/stack';
import { listen } from '../helpers/listen';
import { assertError } from '../helpers/apiErrors';

/**
 * The API under its deployment settings, over real HTTP against the shared stack: several keys,
 * the production URL policy, oversized queries, and Temporal out of reach.
 */

describe('HTTP API under deployment settings', function () {
  this.timeout(60_000);
  const tag = unique('api-policies');
  const ownFilter = { 'data.metadata.test': tag };
  const log = createLogger('error', 'api-policies-test');
  let stack: Stack;
  const created = new Set<string>();
  const closers: Array<() => Promise<void>> = [];

  const startedCall = (callId: string, extra: Record<string, unknown> = {}) => ({
    type: 'call_started',
    data: { callId, direction: 'inbound', from: '+15550100', to: '+15550199', startedAt: '2026-11-29T09:58:00Z', metadata: { test: tag }, ...extra },
  });
  /** A valid endpoint body that only this file's events can match. */
  const endpointBody = (extra: Record<string, unknown> = {}) => ({ url: 'http://127.0.0.1:9/hook', eventTypes: ['call_started'], filter: ownFilter, ...extra });
  const createEndpoint = async (base: string, body: Record<string, unknown>) => {
    const res = await call(base, 'POST', '/v1/endpoints', body);
    if (res.status === 201) created.add(res.body.id);
    return res;
  };

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
  });
  after(async () => {
    for (const id of created) await stack.store.deleteEndpoint(id);
    for (const close of closers.splice(0)) await close();
  });

  describe('API keys', () => {
    let base: string;
    before(async () => {
      const app = apiOn(stack, { apiKeys: [{ key: 'k1', role: 'admin' }, { key: 'k2', role: 'admin' }], log });
      const server = await listen(app);
      closers.push(server.close);
      base = server.base;
    });

    it('refuses a request without a key or with a wrong one, and accepts any configured key', async () => {
      assertError(await call(base, 'GET', '/v1/endpoints'), 401, 'unauthorized', 'Bearer');
      assertError(await call(base, 'GET', '/v1/endpoints', undefined, { authorization: 'Bearer k3' }), 401, 'unauthorized');
      assertError(await call(base, 'GET', '/v1/endpoints', undefined, { authorization: 'k1' }), 401, 'unauthorized');
      assertError(await call(base, 'GET', '/v1/endpoints', undefined, { authorization: 'Bearer k1k2' }), 401, 'unauthorized');
      // Refused before the body is read or anything is done with it.
      assertError(await call(base, 'POST', '/v1/events', '{not json', { authorization: 'Bearer nope' }), 401, 'unauthorized');
      for (const key of ['k1', 'k2']) {
        const ok = await call(base, 'GET', '/v1/endpoints', undefined, { authorization: `Bearer ${key}` });
        assert.equal(ok.status, 200, key);
        assert.ok(Array.isArray(ok.body.data));
      }
    });

    it('needs no key for /healthz', async () => {
      const res = await call(base, 'GET', '/healthz');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ok');
    });
  });

  describe('URL policy for production settings', () => {
    let base: string;
    const strict: UrlPolicy = { allowHttp: false, allowPrivateTargets: false };
    before(async () => {
      const server = await listen(apiOn(stack, { policy: strict, log }));
      closers.push(server.close);
      base = server.base;
    });

    it('requires https', async () => {
      const res = await createEndpoint(base, endpointBody({ url: 'http://example.com/x' }));
      assertError(res, 400, 'invalid_request', 'url:', 'https');
      const fallback = await createEndpoint(base, endpointBody({ url: 'https://example.com/x', fallbackUrl: 'http://example.com/y' }));
      assertError(fallback, 400, 'invalid_request', 'fallbackUrl:', 'https');
    });

    for (const url of ['https://127.0.0.1/x', 'https://localhost/x', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://169.254.169.254/x']) {
      it(`refuses the private target ${url}`, async () => {
        const res = await createEndpoint(base, endpointBody({ url }));
        assertError(res, 400, 'invalid_request', 'url:', 'private');
      });
    }

    it('refuses a private target in a PATCH and in a resend url', async () => {
      const made = await createEndpoint(base, endpointBody({ url: 'https://example.com/hook' }));
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const patched = await call(base, 'PATCH', `/v1/endpoints/${made.body.id}`, { url: 'https://192.168.1.1/x' });
      assertError(patched, 400, 'invalid_request', 'url:', 'private');
      const resend = await call(base, 'POST', `/v1/deliveries/${unique('evt')}~${made.body.id}/resend`, { url: 'https://10.0.0.1/x' });
      assertError(resend, 400, 'invalid_request', 'url:', 'private');
    });

    it('accepts a public https url, by name or by IPv4 address', async () => {
      for (const url of ['https://example.com/hook', 'https://93.184.215.14/hook']) {
        const res = await createEndpoint(base, endpointBody({ url }));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.url, url);
      }
    });
  });

  it('answers a query too long for any parameter with a 400 naming it, not a bare 431 from the HTTP server', async () => {
    const res = await call(stack.api, 'GET', `/v1/deliveries?cursor=${'a'.repeat(20_000)}`);
    assertError(res, 400, 'invalid_request', 'cursor');
  });

  describe('Temporal unavailable', () => {
    // Short, so the test is quick; the gRPC client's retry backoff may overrun it by up to ~6 s.
    const deadlineMs = 2_000;
    let base: string;
    let connection: Connection;
    before(async () => {
      // Nothing listens on this port: the lazy connection fails on first use.
      connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
      const client = new Client({ connection, namespace: 'default' });
      const services = createTemporalServices(client, { taskQueue: 'callback-events-unreachable', namespace: 'default', deadlineMs });
      const server = await listen(apiOn({ ...stack, services }, { log }));
      closers.push(server.close, () => connection.close());
      base = server.base;
    });

    it('answers POST /v1/events with 503 temporal_unavailable and Retry-After, never a 2xx', async () => {
      const started = Date.now();
      const res = await call(base, 'POST', '/v1/events', startedCall(unique('call')));
      assertError(res, 503, 'temporal_unavailable', 'Temporal');
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      const took = Date.now() - started;
      assert.ok(took < deadlineMs + 7_000, `answered after ${took} ms`);
    });

    it('answers within a second once it has seen Temporal unreachable, not after each call deadline', async () => {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await call(base, 'POST', '/v1/events', startedCall(unique('call')));
        assertError(res, 503, 'temporal_unavailable');
        assert.ok(res.headers.get('retry-after'));
        const took = Date.now() - started;
        assert.ok(took < 1_500, `answered after ${took} ms (the call deadline is ${deadlineMs} ms)`);
      }
    });

    it('still refuses invalid input with 400, without asking Temporal', async () => {
      const started = Date.now();
      const res = await call(base, 'POST', '/v1/events', startedCall(unique('call'), { mood: 'happy' }));
      assertError(res, 400, 'invalid_request', 'data.mood');
      assert.ok(Date.now() - started < deadlineMs, 'validation waited on Temporal');
    });

    it('answers event reads with 503 rather than 404', async () => {
      const res = await call(base, 'GET', `/v1/events/${unique('evt')}`);
      assertError(res, 503, 'temporal_unavailable');
      assert.ok(res.headers.get('retry-after'));
    });

    it('reports /healthz 503 with temporal unavailable and the store ok', async () => {
      const res = await call(base, 'GET', '/healthz');
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { status: 'unavailable', store: 'ok', temporal: 'unavailable' });
    });
  });
});
