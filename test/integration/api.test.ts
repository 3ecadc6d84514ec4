import assert from 'node:assert/strict';
import { isOperational } from '../../workflows/contract';
import { eventTypes, sensitivePaths } from '../../src/domain/catalog';
import { unique } from '../helpers/kit';
import { call, eventually, sharedStack, type Stack } from '../helpers/stack';
import { assertError } from '../helpers/apiErrors';

/**
 * The HTTP contract: validation, error shape, endpoint CRUD, the catalog, events and deliveries.
 * Everything runs over real HTTP against the shared stack (a real Temporal dev server, worker and
 * SQLite store). Keys, the URL policy and Temporal out of reach: apiPolicies.test.ts.
 */

/** Tags this file's events; every endpoint it creates filters on the tag, so no other test's event reaches them. */
const tag = unique('api');
const ownFilter = { 'data.metadata.test': tag };

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

});
