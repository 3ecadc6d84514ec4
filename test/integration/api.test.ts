import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { isOperational } from '../../workflows/contract';
import { eventTypes, sensitivePaths } from '../../src/domain/catalog';
import { createTemporalServices } from '../../src/temporal/services';
import { createLogger } from '../../src/log';
import type { UrlPolicy } from '../../src/domain/urlPolicy';
import { freePort } from '../helpers/ports';
import { call, eventually, sharedStack, type Stack, apiOn } from '../helpers/stack';
import { listen } from '../helpers/listen';

/**
 * The HTTP contract: validation, error shape, endpoint CRUD, the catalog, auth, url policy,
 * and how the API behaves when Temporal cannot be reached. Everything runs over real HTTP
 * against the shared stack (a real Temporal dev server, worker and SQLite store).
 */

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

/** Tags this file's events; every endpoint it creates filters on the tag, so no other test's event reaches them. */
const tag = unique('api');
const ownFilter = { 'data.metadata.test': tag };

type Res = Awaited<ReturnType<typeof call>>;

/** Asserts the `{ error: { code, message, details? } }` shape, the status, and that the message names each fragment. */
function assertError(res: Res, status: number, code: string, ...fragments: (string | RegExp)[]): void {
  const dump = JSON.stringify(res.body);
  assert.equal(res.status, status, dump);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, dump);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, dump);
  const { error } = res.body;
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'details'].includes(key), `unexpected error field ${key}: ${dump}`);
  assert.equal(error.code, code, dump);
  assert.equal(typeof error.message, 'string', dump);
  for (const fragment of fragments) {
    if (typeof fragment === 'string') assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
    else assert.match(error.message, fragment);
  }
}

function startedCall(callId: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'call_started',
    data: {
      callId,
      direction: 'inbound',
      from: '+15550100',
      to: '+15550199',
      startedAt: '2026-11-29T09:58:00Z',
      metadata: { test: tag },
      ...extra,
    },
  };
}

describe('HTTP API contract', function () {
  this.timeout(60_000);
  let stack: Stack;
  const created = new Set<string>();
  const closers: Array<() => Promise<void>> = [];
  const log = createLogger('error', 'api-test');

  /** A valid endpoint body that only this file's events can match. */
  const endpointBody = (extra: Record<string, unknown> = {}) => ({
    url: 'http://127.0.0.1:9/hook',
    eventTypes: ['call_started'],
    filter: ownFilter,
    ...extra,
  });
  const createEndpoint = async (base: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await call(base, 'POST', '/v1/endpoints', body, headers);
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

  describe('bad input is refused with 400 and a message naming the problem', () => {
    it('malformed JSON on POST /v1/events', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', '{"type": "call_started", "data": {');
      assertError(res, 400, 'invalid_json', 'not valid JSON');
    });

    it('an unknown event type', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', { type: 'call_exploded', data: { callId: 'c1' } });
      assertError(res, 400, 'invalid_request', 'type:');
      assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path), ['type']);
    });

    it('an unknown top-level field', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', { ...startedCall('c1'), colour: 'blue' });
      assertError(res, 400, 'invalid_request', 'unknown field', 'colour');
    });

    it('an unknown field inside data', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', startedCall('c1', { mood: 'happy' }));
      assertError(res, 400, 'invalid_request', 'data.mood: unknown field');
      assert.deepEqual(res.body.error.details, [{ path: 'data.mood', message: 'unknown field' }]);
    });

    it('data without callId', async () => {
      const body = startedCall('c1');
      delete (body.data as Partial<typeof body.data>).callId;
      const res = await call(stack.api, 'POST', '/v1/events', body);
      assertError(res, 400, 'invalid_request', 'data.callId: required');
    });

    it('endpoint_test, which only the service may make', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', { type: 'endpoint_test', data: { callId: 'c1' } });
      assertError(res, 400, 'invalid_request', 'type:', 'reserved');
    });

    it('a bad Idempotency-Key header', async () => {
      const res = await call(stack.api, 'POST', '/v1/events', startedCall('c1'), { 'idempotency-key': 'has spaces & symbols!' });
      assertError(res, 400, 'invalid_request', 'Idempotency-Key');
    });

    for (const url of ['not a url', 'ftp://x']) {
      it(`an endpoint url of ${JSON.stringify(url)}`, async () => {
        const res = await createEndpoint(stack.api, endpointBody({ url }));
        assertError(res, 400, 'invalid_request', 'url:', 'http');
        assert.equal(res.body.error.details[0].path, 'url');
      });
    }

    for (const [name, filter, fragment] of [
      ['an unknown operator', { 'data.x': { $foo: 1 } }, '$foo'],
      ['$in that is not an array', { 'data.x': { $in: 3 } }, '$in'],
    ] as const) {
      it(`an endpoint filter with ${name}`, async () => {
        const res = await createEndpoint(stack.api, endpointBody({ filter }));
        assertError(res, 400, 'invalid_request', 'filter', 'data.x', fragment);
        assert.ok(res.body.error.details.every((d: { path: string }) => d.path.startsWith('filter')), JSON.stringify(res.body));
      });
    }

    it('payloadScope.include naming a sensitive field without sensitive: true', async () => {
      const res = await createEndpoint(stack.api, endpointBody({ eventTypes: ['call_completed'], payloadScope: { include: ['transcript'] } }));
      assertError(res, 400, 'invalid_request', 'payloadScope.include', '"transcript"', 'sensitive field of call_completed', 'payloadScope.sensitive');
      // With the explicit approval the same scope is accepted.
      const ok = await createEndpoint(stack.api, endpointBody({ eventTypes: ['call_completed'], payloadScope: { include: ['transcript'], sensitive: true } }));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });

    it('an unknown field in an endpoint body', async () => {
      const res = await createEndpoint(stack.api, endpointBody({ colour: 'blue' }));
      assertError(res, 400, 'invalid_request', 'unknown field', 'colour');
    });

    it('an endpoint id that is not a slug', async () => {
      const res = await createEndpoint(stack.api, endpointBody({ id: 'Not_A_Slug' }));
      assertError(res, 400, 'invalid_request', 'id:', 'slug');
    });

    it('a static header that overrides one the service sets', async () => {
      const res = await createEndpoint(stack.api, endpointBody({ headers: { 'webhook-id': 'x' } }));
      assertError(res, 400, 'invalid_request', 'headers', 'webhook-id', 'cannot be overridden');
    });
  });

  describe('endpoints CRUD', () => {
    it('creates with a generated id and whsec_ secret, or with a given secret; refuses a bad secret and a taken id', async () => {
      const generated = await createEndpoint(stack.api, endpointBody());
      assert.equal(generated.status, 201, JSON.stringify(generated.body));
      assert.match(generated.body.id, /^ep-[0-9a-f]{20}$/);
      assert.match(generated.body.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.ok(Buffer.from(generated.body.secret.slice(6), 'base64').length >= 24);
      assert.equal(generated.body.url, 'http://127.0.0.1:9/hook');
      assert.ok(generated.body.createdAt && generated.body.updatedAt);

      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const id = unique('ep');
      const custom = await createEndpoint(stack.api, endpointBody({ id, secret }));
      assert.equal(custom.status, 201, JSON.stringify(custom.body));
      assert.equal(custom.body.id, id);
      assert.equal(custom.body.secret, secret);

      for (const bad of ['not-a-secret', `whsec_${Buffer.alloc(8).toString('base64')}`]) {
        const refused = await createEndpoint(stack.api, endpointBody({ secret: bad }));
        assertError(refused, 400, 'invalid_request', 'secret:');
      }

      const duplicate = await createEndpoint(stack.api, endpointBody({ id }));
      assertError(duplicate, 409, 'conflict', id);
      // The first one is untouched.
      assert.equal((await call(stack.api, 'GET', `/v1/endpoints/${id}/secret`)).body.secret, secret);
    });

    it('lists and reads endpoints without secrets; the secret has its own route', async () => {
      const made = await createEndpoint(stack.api, endpointBody({ id: unique('ep'), description: 'reader' }));
      assert.equal(made.status, 201);

      const list = await call(stack.api, 'GET', '/v1/endpoints');
      assert.equal(list.status, 200);
      assert.ok(Array.isArray(list.body.data));
      const mine = list.body.data.find((e: { id: string }) => e.id === made.body.id);
      assert.ok(mine, 'created endpoint is listed');
      assert.equal(mine.description, 'reader');
      for (const e of list.body.data) assert.equal('secret' in e, false, `secret leaked for ${e.id}`);
      assert.equal(JSON.stringify(list.body).includes('whsec_'), false);

      const one = await call(stack.api, 'GET', `/v1/endpoints/${made.body.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.id, made.body.id);
      assert.equal(one.body.description, 'reader');
      assert.equal('secret' in one.body, false);

      const secret = await call(stack.api, 'GET', `/v1/endpoints/${made.body.id}/secret`);
      assert.equal(secret.status, 200);
      assert.deepEqual(secret.body, { secret: made.body.secret });

      assertError(await call(stack.api, 'GET', `/v1/endpoints/${unique('nope')}`), 404, 'not_found');
      assertError(await call(stack.api, 'GET', `/v1/endpoints/${unique('nope')}/secret`), 404, 'not_found');
    });

    it('patches fields, clears an optional one with null, and refuses invalid patches', async () => {
      const made = await createEndpoint(stack.api, endpointBody({ id: unique('ep'), description: 'before', retry: { maxAttempts: 3 } }));
      assert.equal(made.status, 201);
      const path = `/v1/endpoints/${made.body.id}`;

      const changed = await call(stack.api, 'PATCH', path, { url: 'http://127.0.0.1:9/other', disabled: true, description: null });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.url, 'http://127.0.0.1:9/other');
      assert.equal(changed.body.disabled, true);
      assert.equal('description' in changed.body, false);
      assert.equal('secret' in changed.body, false);
      // Untouched fields stay.
      assert.deepEqual(changed.body.retry, { maxAttempts: 3 });
      assert.deepEqual(changed.body.filter, ownFilter);

      const read = await call(stack.api, 'GET', path);
      assert.equal(read.body.url, 'http://127.0.0.1:9/other');
      assert.equal('description' in read.body, false);
      assert.deepEqual(read.body.retry, { maxAttempts: 3 });

      assertError(await call(stack.api, 'PATCH', path, { url: 'not a url' }), 400, 'invalid_request', 'url:');
      assertError(await call(stack.api, 'PATCH', path, { url: null }), 400, 'invalid_request', 'url:');
      assertError(await call(stack.api, 'PATCH', path, { colour: 'blue' }), 400, 'invalid_request', 'colour');
      assertError(await call(stack.api, 'PATCH', path, { disabled: 'yes' }), 400, 'invalid_request', 'disabled:');
      assertError(
        await call(stack.api, 'PATCH', path, { eventTypes: ['call_completed'], payloadScope: { include: ['transcript'] } }),
        400, 'invalid_request', 'payloadScope.include', 'sensitive',
      );
      // Refused patches changed nothing.
      const after = await call(stack.api, 'GET', path);
      assert.equal(after.body.url, 'http://127.0.0.1:9/other');
      assert.deepEqual(after.body.eventTypes, ['call_started']);

      assertError(await call(stack.api, 'PATCH', `/v1/endpoints/${unique('nope')}`, { description: 'x' }), 404, 'not_found');
    });

    it('deletes with 204, after which the endpoint is gone', async () => {
      const made = await createEndpoint(stack.api, endpointBody({ id: unique('ep') }));
      assert.equal(made.status, 201);
      const path = `/v1/endpoints/${made.body.id}`;
      const deleted = await call(stack.api, 'DELETE', path);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assertError(await call(stack.api, 'GET', path), 404, 'not_found', made.body.id);
      assertError(await call(stack.api, 'DELETE', path), 404, 'not_found');
      const list = await call(stack.api, 'GET', '/v1/endpoints');
      assert.equal(list.body.data.some((e: { id: string }) => e.id === made.body.id), false);
    });
  });

  describe('events, deliveries and routes', () => {
    it('lists every catalog type with its JSON schema and sensitive fields', async () => {
      const res = await call(stack.api, 'GET', '/v1/event-types');
      assert.equal(res.status, 200);
      const entries: Array<{ type: string; description: string; sensitiveFields: string[]; schema: any }> = res.body.data;
      assert.deepEqual(entries.map((e) => e.type).sort(), [...eventTypes].sort());
      for (const entry of entries) {
        assert.ok(entry.description.length > 0, entry.type);
        assert.equal(entry.schema.type, 'object', entry.type);
        if (!isOperational(entry.type)) {
          assert.ok(entry.schema.properties.callId, entry.type);
          assert.ok(entry.schema.required.includes('callId'), entry.type);
        }
        assert.deepEqual(entry.sensitiveFields, sensitivePaths(entry.type as (typeof eventTypes)[number]), entry.type);
        for (const field of entry.sensitiveFields) assert.equal(entry.schema.properties[field]['x-sensitive'], true, `${entry.type}.${field}`);
      }
      const completed = entries.find((e) => e.type === 'call_completed')!;
      assert.ok(completed.sensitiveFields.includes('transcript'));
      assert.equal(completed.sensitiveFields.includes('disposition'), false);
    });

    it('accepts an event once per Idempotency-Key, then answers 200 duplicate', async () => {
      const key = unique('key');
      // A tag no endpoint filters on: the event matches nothing, so nothing is delivered anywhere.
      const event = () => startedCall(unique('call'), { metadata: { test: unique('unmatched') } });
      const first = await call(stack.api, 'POST', '/v1/events', event(), { 'idempotency-key': key });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      assert.equal(first.body.id, key);
      assert.equal(first.body.duplicate, false);
      const again = await call(stack.api, 'POST', '/v1/events', event(), { 'idempotency-key': key });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body, { ...first.body, duplicate: true });

      const status = await eventually(async () => {
        const res = await call(stack.api, 'GET', `/v1/events/${key}`);
        return res.status === 200 && res.body.status === 'filtered' ? res.body : undefined;
      }, 20_000, `event ${key} to be filtered`);
      assert.deepEqual(status, { id: key, type: 'call_started', status: 'filtered', deliveries: [] });
    });

    it('answers 404 not_found for an unknown event', async () => {
      const id = unique('evt');
      assertError(await call(stack.api, 'GET', `/v1/events/${id}`), 404, 'not_found', id);
    });

    it('answers 404 for resend or discard of a malformed or unknown delivery id', async () => {
      for (const id of ['no-separator', '~ep-1', 'evt_1~Bad_Endpoint', `${unique('evt')}~ep-1`]) {
        for (const action of ['resend', 'discard']) {
          const res = await call(stack.api, 'POST', `/v1/deliveries/${encodeURIComponent(id)}/${action}`, {});
          assertError(res, 404, 'not_found', 'Delivery');
        }
      }
    });

    it('answers an unknown route with a 404 JSON error, and a known path with another method with 405', async () => {
      assertError(await call(stack.api, 'GET', '/nope'), 404, 'not_found', 'GET /nope');
      assertError(await call(stack.api, 'GET', '/v1/nope'), 404, 'not_found');
      const put = await call(stack.api, 'PUT', '/v1/events', {});
      assertError(put, 405, 'method_not_allowed', 'PUT');
      assert.equal(put.headers.get('allow'), 'POST');
    });

    it('reports health with store and temporal ok', async () => {
      const res = await call(stack.api, 'GET', '/healthz');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok', store: 'ok', temporal: 'ok' });
    });
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
