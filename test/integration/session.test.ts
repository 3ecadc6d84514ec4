import assert from 'node:assert/strict';
import { createSessionSeal } from '../../src/crypto/sessionSeal';
import { keyIdOf } from '../../src/api/auth';
import { tenantKeyHash } from '../../src/api/tenantKeys';
import { createLogger } from '../../src/log';
import { unique } from '../helpers/kit';
import { listen } from '../helpers/listen';
import { apiOn, call, sharedStack, TEST_MASTER_KEY, type Stack } from '../helpers/stack';

/**
 * The login session over real HTTP against the shared stack (real Temporal, the real store): a
 * key traded for a sealed HttpOnly cookie, the cookie accepted where a bearer key is (same roles,
 * same tenant rules), refused when altered, expired, its key revoked, or used by another origin
 * for anything but reading.
 */

const SERVICE_ADMIN = 'svc-admin-key';
const SERVICE_INGEST = 'svc-ingest-key';

describe('login session', function () {
  this.timeout(60_000);
  let stack: Stack;
  let base: string;
  let other: string;
  const closers: Array<() => Promise<void>> = [];
  const tenantA = unique('sess-a');
  const tenantB = unique('sess-b');
  let keyA: { id: string; key: string };
  let ingestKeyA: { id: string; key: string };
  let endpointB: string;

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const login = async (key: string, headers: Record<string, string> = {}) => {
    const res = await call(base, 'POST', '/v1/session', { key }, headers);
    const setCookie = res.headers.get('set-cookie') ?? '';
    return { ...res, setCookie, cookie: setCookie.split(';')[0] };
  };
  const withCookie = (cookie: string, more: Record<string, string> = {}) => ({ cookie, ...more });

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
    const apiKeys = [
      { key: SERVICE_ADMIN, role: 'admin' as const },
      { key: SERVICE_INGEST, role: 'ingest' as const },
    ];
    const app = () => apiOn(stack, { apiKeys, log: createLogger('error', 'session-test'), codec: { codec: stack.codec } });
    const one = await listen(app());
    // A second API process on the same store and master key: sessions are honoured, and revoked, on both.
    const two = await listen(app());
    base = one.base;
    other = two.base;
    closers.push(one.close, two.close);
    for (const id of [tenantA, tenantB]) assert.equal((await call(base, 'POST', '/v1/tenants', { id, name: id }, bearer(SERVICE_ADMIN))).status, 201);
    keyA = (await call(base, 'POST', `/v1/tenants/${tenantA}/keys`, { role: 'admin' }, bearer(SERVICE_ADMIN))).body;
    ingestKeyA = (await call(base, 'POST', `/v1/tenants/${tenantA}/keys`, { role: 'ingest' }, bearer(SERVICE_ADMIN))).body;
    const created = await call(base, 'POST', '/v1/endpoints', { url: 'http://127.0.0.1:9/b' }, { ...bearer(SERVICE_ADMIN), 'x-tenant-id': tenantB });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    endpointB = created.body.id;
  });
  after(async () => {
    for (const close of closers) await close();
  });

  it('a service key logs in: the caller, and a sealed HttpOnly SameSite=Strict cookie for 12 hours that holds no key', async () => {
    const res = await login(SERVICE_ADMIN);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { keyId: keyIdOf(SERVICE_ADMIN), role: 'admin', tenantId: 'default', service: true });
    assert.match(res.setCookie, /^callbacks_session=v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+;/);
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200']) assert.ok(res.setCookie.includes(attr), `${res.setCookie} lacks ${attr}`);
    assert.ok(!/;\s*Secure/i.test(res.setCookie), 'no Secure over plain http');
    assert.ok(!res.setCookie.includes(SERVICE_ADMIN) && !res.setCookie.includes(tenantKeyHash(SERVICE_ADMIN)), 'the key and its hash are sealed');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    // Behind a proxy that ended TLS, the cookie is Secure.
    assert.match((await login(SERVICE_ADMIN, { 'x-forwarded-proto': 'https' })).setCookie, /;\s*Secure/);

    const me = await call(base, 'GET', '/v1/session', undefined, withCookie(res.cookie));
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, res.body);
    // Accepted on the other API process too: the same master key opens it.
    assert.equal((await call(other, 'GET', '/v1/session', undefined, withCookie(res.cookie))).status, 200);
    // And by every /v1 route, with X-Tenant-Id as a bearer key would.
    const listed = await call(base, 'GET', '/v1/endpoints', undefined, withCookie(res.cookie, { 'x-tenant-id': tenantB }));
    assert.equal(listed.status, 200);
    assert.ok(listed.body.data.some((e: { id: string }) => e.id === endpointB));
  });

  it('a wrong key is a 401, as is no key and no cookie; a body without a key a 400', async () => {
    for (const key of ['nope', `${SERVICE_ADMIN}x`, 'cbk_notakey']) {
      const res = await login(key);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'unauthorized');
      assert.equal(res.setCookie, '');
    }
    assert.equal((await call(base, 'GET', '/v1/session')).status, 401);
    const bad = await call(base, 'POST', '/v1/session', { token: SERVICE_ADMIN });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
  });

  it('GET /v1/session answers a bearer caller too, and a bearer key wins over the cookie', async () => {
    const me = await call(base, 'GET', '/v1/session', undefined, bearer(SERVICE_INGEST));
    assert.deepEqual(me.body, { keyId: keyIdOf(SERVICE_INGEST), role: 'ingest', tenantId: 'default', service: true });
    const tenantCookie = (await login(keyA.key)).cookie;
    const both = await call(base, 'GET', '/v1/session', undefined, withCookie(tenantCookie, bearer(SERVICE_ADMIN)));
    assert.equal(both.body.keyId, keyIdOf(SERVICE_ADMIN));
    // A wrong bearer with a good cookie is a 401: the bearer is what counts.
    assert.equal((await call(base, 'GET', '/v1/session', undefined, withCookie(tenantCookie, bearer('nope')))).status, 401);
  });

  it('an altered, foreign or expired cookie is a 401', async () => {
    const { cookie } = await login(SERVICE_ADMIN);
    const value = cookie.slice('callbacks_session='.length);
    const flipped = value.slice(0, -2) + (value.at(-2) === 'A' ? 'B' : 'A') + value.at(-1);
    const foreign = createSessionSeal([Buffer.alloc(32, 1)]).seal({ keyHash: tenantKeyHash(SERVICE_ADMIN), tenantKey: false, expiresAt: 4_000_000_000 });
    const expired = createSessionSeal([TEST_MASTER_KEY]).seal({ keyHash: tenantKeyHash(SERVICE_ADMIN), tenantKey: false, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    const fresh = createSessionSeal([TEST_MASTER_KEY]).seal({ keyHash: tenantKeyHash(SERVICE_ADMIN), tenantKey: false, expiresAt: Math.floor(Date.now() / 1000) + 60 });
    for (const v of [flipped, foreign, expired, 'garbage', `${value}.x`]) {
      const res = await call(base, 'GET', '/v1/endpoints', undefined, { cookie: `callbacks_session=${v}` });
      assert.equal(res.status, 401, v);
      assert.equal(res.body.error.code, 'unauthorized');
    }
    // The same seal with a future expiry is accepted: what failed above was the expiry.
    assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, { cookie: `callbacks_session=${fresh}` })).status, 200);
  });

  it('a tenant key logs in, acts only for its tenant, and a revoked key logs out at once on every API process', async () => {
    const res = await login(keyA.key);
    assert.deepEqual(res.body, { keyId: keyA.id, role: 'admin', tenantId: tenantA, service: false });
    assert.equal((await call(base, 'GET', `/v1/endpoints/${endpointB}`, undefined, withCookie(res.cookie))).status, 404);
    assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, withCookie(res.cookie, { 'x-tenant-id': tenantB }))).status, 403);
    assert.equal((await call(base, 'GET', '/v1/tenants', undefined, withCookie(res.cookie))).status, 403);
    const ingest = await login(ingestKeyA.key);
    assert.deepEqual(ingest.body, { keyId: ingestKeyA.id, role: 'ingest', tenantId: tenantA, service: false });
    assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, withCookie(ingest.cookie))).status, 403);

    assert.equal((await call(other, 'GET', '/v1/endpoints', undefined, withCookie(res.cookie))).status, 200);
    assert.equal((await call(base, 'DELETE', `/v1/tenants/${tenantA}/keys/${keyA.id}`, undefined, bearer(SERVICE_ADMIN))).status, 204);
    for (const api of [base, other]) {
      const after = await call(api, 'GET', '/v1/session', undefined, withCookie(res.cookie));
      assert.equal(after.status, 401);
      assert.match(after.body.error.message, /no longer valid/);
    }
  });

  it('CSRF: a cookie-authenticated change needs the API\'s own Origin (or Sec-Fetch-Site: same-origin); reads do not', async () => {
    const { cookie } = await login(SERVICE_ADMIN);
    const body = { url: 'http://127.0.0.1:9/csrf' };
    const refused: Record<string, string>[] = [{ origin: 'http://127.0.0.1:1' }, { origin: 'null' }, {}, { 'sec-fetch-site': 'same-site' }];
    for (const headers of refused) {
      const res = await call(base, 'POST', '/v1/endpoints', body, withCookie(cookie, headers));
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.body.error.code, 'forbidden');
    }
    const own = await call(base, 'POST', '/v1/endpoints', body, withCookie(cookie, { origin: base }));
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const fetchMeta = await call(base, 'DELETE', `/v1/endpoints/${own.body.id}`, undefined, withCookie(cookie, { 'sec-fetch-site': 'same-origin' }));
    assert.equal(fetchMeta.status, 204);
    // A bearer key needs no Origin: CSRF is a cookie's problem.
    assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, { ...bearer(SERVICE_ADMIN), origin: 'http://127.0.0.1:1' })).status, 200);
    // Logging in from another origin is refused too (login CSRF).
    assert.equal((await login(SERVICE_ADMIN, { origin: 'http://127.0.0.1:1' })).status, 403);
  });

  it('the codec routes take a service admin\'s cookie (same origin), not a tenant\'s or an ingest key\'s', async () => {
    const [encoded] = await stack.codec.encode([{ metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from('"hello"')) }]);
    const metadata = Object.fromEntries(Object.entries(encoded.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]));
    const payloads = [{ metadata, data: Buffer.from(encoded.data!).toString('base64') }];
    const admin = (await login(SERVICE_ADMIN)).cookie;
    const decoded = await call(base, 'POST', '/codec/decode', { payloads }, withCookie(admin, { origin: base }));
    assert.equal(decoded.status, 200, JSON.stringify(decoded.body));
    assert.equal(Buffer.from(decoded.body.payloads[0].data, 'base64').toString(), '"hello"');
    assert.equal((await call(base, 'POST', '/codec/decode', { payloads }, withCookie(admin, { origin: 'http://127.0.0.1:1' }))).status, 403);
    assert.equal((await call(base, 'POST', '/codec/decode', { payloads }, withCookie((await login(SERVICE_INGEST)).cookie, { origin: base }))).status, 403);
    const tenantKey = (await call(base, 'POST', `/v1/tenants/${tenantB}/keys`, { role: 'admin' }, bearer(SERVICE_ADMIN))).body.key;
    assert.equal((await call(base, 'POST', '/codec/decode', { payloads }, withCookie((await login(tenantKey)).cookie, { origin: base }))).status, 401);
    assert.equal((await call(base, 'POST', '/codec/decode', { payloads }, { origin: base })).status, 401);
  });

  it('DELETE /v1/session clears the cookie', async () => {
    const res = await call(base, 'DELETE', '/v1/session');
    assert.equal(res.status, 204);
    const cleared = res.headers.get('set-cookie') ?? '';
    assert.match(cleared, /^callbacks_session=;/);
    assert.ok(/Expires=Thu, 01 Jan 1970/.test(cleared) && cleared.includes('HttpOnly') && cleared.includes('SameSite=Strict'), cleared);
  });
});
