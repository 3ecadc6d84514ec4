import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { mountedRoutes } from '../../src/api/routeTable';
import { createLogger } from '../../src/log';
import { listen } from '../helpers/listen';
import { call, eventually, sharedStack, type Stack, apiOn } from '../helpers/stack';

/**
 * The OpenAPI document against the app it describes: every mounted route is documented (a new
 * route without docs fails here), every schema compiles, the docs page loads offline, and real
 * answers of the running stack fit the schemas the document gives for them.
 */

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; responses: Record<string, any> }>>;
  components: Record<string, any>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** `/v1/endpoints/:id` → `/v1/endpoints/{id}`. */
const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document', function () {
  this.timeout(60_000);
  let stack: Stack;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
    const res = await call(stack.api, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    doc = res.body as Doc;
  });

  /** Validates a real answer against the schema the document gives for it. */
  function assertDocumented(method: string, path: string, res: Awaited<ReturnType<typeof call>>): void {
    const response = doc.paths[path]?.[method]?.responses[String(res.status)];
    assert.ok(response, `${method.toUpperCase()} ${path} answered ${res.status}, which the document does not list: ${JSON.stringify(res.body)}`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    // Refs point at #/components/…: validate with the components beside the schema.
    const validate = ajv.compile({ ...schema, components: doc.components });
    assert.ok(validate(res.body), `${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
  }

  it('is OpenAPI 3.1 with an API key scheme, and every schema in it compiles', () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.deepEqual(doc.components.securitySchemes.apiKey, {
      type: 'http',
      scheme: 'bearer',
      description: doc.components.securitySchemes.apiKey.description,
    });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(METHODS.includes(method), `${path}: ${method} is not an HTTP method`);
        const declared = new Set((operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) assert.ok(declared.has(name), `${method} ${path} does not declare {${name}}`);
        assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path} has no responses`);
        for (const [status, response] of Object.entries(operation.responses)) {
          for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, { schema: object }>)) {
            assert.doesNotThrow(() => ajv.compile({ ...media.schema, components: doc.components }), `${method} ${path} ${status} ${type}`);
          }
        }
      }
    }
  });

  it('documents exactly the routes the app mounts', async () => {
    // An app of its own, with the codec server mounted as `npm start` mounts it.
    const app = apiOn(stack, {
      apiKeys: [],
      log: createLogger('error', 'test'),
      codec: { codec: stack.codec },
    });
    const mounted = mountedRoutes(app).map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.ok(mounted.includes('POST /v1/endpoints') && mounted.includes('GET /healthz'), mounted.join('\n'));
    assert.deepEqual(mounted, documented);
  });

  it('serves /docs as a page whose scripts come from this server', async () => {
    const res = await fetch(`${stack.api}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /\/openapi\.json/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('swagger-ui-bundle.js')), html);
    for (const asset of assets) {
      assert.ok(asset.startsWith('/'), `${asset} is not served by the API (the page must work offline)`);
      const got = await fetch(stack.api + asset);
      assert.equal(got.status, 200, asset);
      assert.ok((await got.arrayBuffer()).byteLength > 0, asset);
    }
  });

  it('describes real answers: 201, 200, 400, 404 and 405 of endpoints, 202 of an event, a call, the catalog and health', async () => {
    const id = `openapi-${process.pid}-${Date.now().toString(36)}`;
    const created = await call(stack.api, 'POST', '/v1/endpoints', {
      id,
      url: 'https://receiver.example.com/hooks',
      // This file's endpoint takes no one else's events.
      filter: { 'data.metadata.test': id },
    });
    assert.equal(created.status, 201);
    assertDocumented('post', '/v1/endpoints', created);
    assertDocumented('get', '/v1/endpoints/{id}', await call(stack.api, 'GET', `/v1/endpoints/${id}`));
    assertDocumented('get', '/v1/endpoints', await call(stack.api, 'GET', '/v1/endpoints'));
    assertDocumented('patch', '/v1/endpoints/{id}', await call(stack.api, 'PATCH', `/v1/endpoints/${id}`, { description: 'fuzzed' }));
    assertDocumented('get', '/v1/endpoints/{id}/secret', await call(stack.api, 'GET', `/v1/endpoints/${id}/secret`));
    assertDocumented('get', '/v1/endpoints/{id}/public-key', await call(stack.api, 'GET', `/v1/endpoints/${id}/public-key`));

    const invalid = await call(stack.api, 'POST', '/v1/endpoints', { url: 'ftp://nope', bogus: 1 });
    assert.equal(invalid.status, 400);
    assertDocumented('post', '/v1/endpoints', invalid);
    const notJson = await call(stack.api, 'POST', '/v1/endpoints', '{"url":');
    assert.equal(notJson.status, 400);
    assertDocumented('post', '/v1/endpoints', notJson);
    assertDocumented('get', '/v1/endpoints/{id}', await call(stack.api, 'GET', '/v1/endpoints/no-such-endpoint'));

    const put = await call(stack.api, 'PUT', `/v1/endpoints/${id}`, { url: 'https://x.example.com' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'DELETE, GET, HEAD, PATCH');
    assert.equal(put.body.error.code, 'method_not_allowed');

    const event = await call(stack.api, 'POST', '/v1/events', {
      type: 'call_started',
      data: { callId: `c-${id}`, direction: 'inbound', from: '+15550100', to: '+15550199', startedAt: '2026-11-29T09:58:00Z', metadata: { test: id } },
    });
    assert.equal(event.status, 202);
    assertDocumented('post', '/v1/events', event);
    assertDocumented('get', '/v1/events/{id}', await call(stack.api, 'GET', `/v1/events/${event.body.id}`));
    // Visibility lists the event moments after it starts.
    const callView = await eventually(async () => {
      const res = await call(stack.api, 'GET', `/v1/calls/c-${id}`);
      return res.status === 200 ? res : undefined;
    }, 20_000, 'the call to be listed');
    assertDocumented('get', '/v1/calls/{callId}', callView);
    assertDocumented('get', '/v1/calls/{callId}', await call(stack.api, 'GET', `/v1/calls/no-such-call-${id}`));
    const badKey = await call(stack.api, 'POST', '/v1/events', { type: 'call_started', data: {} }, { 'idempotency-key': 'not valid!' });
    assertDocumented('post', '/v1/events', badKey);

    assertDocumented('get', '/v1/event-types', await call(stack.api, 'GET', '/v1/event-types'));
    assertDocumented('get', '/v1/deliveries', await call(stack.api, 'GET', '/v1/deliveries?limit=5'));
    const forgedCursor = await call(stack.api, 'GET', `/v1/deliveries?cursor=${'0'.repeat(64)}`);
    assert.equal(forgedCursor.status, 400, 'a cursor the API did not make is refused at once');
    assertDocumented('get', '/v1/deliveries', forgedCursor);
    assertDocumented('get', '/v1/audit', await call(stack.api, 'GET', '/v1/audit?limit=5'));
    assertDocumented('get', '/healthz', await call(stack.api, 'GET', '/healthz'));
    assertDocumented('get', '/v1/references/{token}', await call(stack.api, 'GET', '/v1/references/not-a-token'));
    assertDocumented('delete', '/v1/endpoints/{id}', await call(stack.api, 'DELETE', `/v1/endpoints/${id}`));
  });

  it('answers an endpoint test that waits for a slot with 202 and its status, not an error', async function () {
    this.timeout(90_000);
    const id = `openapi-slow-${process.pid}-${Date.now().toString(36)}`;
    // One token per 1000 s: the first test takes it, the second waits for the next.
    const created = await call(stack.api, 'POST', '/v1/endpoints', {
      id,
      url: 'https://receiver.example.com/hooks',
      filter: { 'data.metadata.test': id },
      rateLimit: { perSecond: 0.001, burst: 1 },
      retry: { attemptTimeoutMs: 2000 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const first = await call(stack.api, 'POST', `/v1/endpoints/${id}/test`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assertDocumented('post', '/v1/endpoints/{id}/test', first);
    const started = Date.now();
    const second = await call(stack.api, 'POST', `/v1/endpoints/${id}/test`);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.equal(second.body.status, 'throttled');
    assert.ok(Date.now() - started < 15_000, 'answered as soon as the test was seen waiting');
    assertDocumented('post', '/v1/endpoints/{id}/test', second);
    await call(stack.api, 'DELETE', `/v1/endpoints/${id}`);
  });

  it('asks for a key on /v1 when keys are configured, and not for the document', async () => {
    const app = apiOn(stack, {
      apiKeys: [{ key: 'openapi-test-key', role: 'admin' }],
      log: createLogger('error', 'test'),
    });
    const server = await listen(app);
    try {
      assertDocumented('get', '/v1/endpoints', await call(server.base, 'GET', '/v1/endpoints'));
      assert.equal((await call(server.base, 'GET', '/openapi.json')).status, 200);
      assert.equal((await call(server.base, 'GET', '/docs')).status, 200);
      // A reference needs no key (the token is the capability): a forged one is 404, not 401.
      const reference = await call(server.base, 'GET', '/v1/references/not-a-token');
      assert.equal(reference.status, 404);
      assertDocumented('get', '/v1/references/{token}', reference);
    } finally {
      await server.close();
    }
  });
});
