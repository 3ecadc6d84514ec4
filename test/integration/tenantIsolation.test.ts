import assert from 'node:assert/strict';
import { mountedRoutes } from '../../src/api/routeTable';
import { fastRetry, unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { apiOn, eventually } from '../helpers/stack';
import { createMetrics } from '../../src/metrics/registry';
import { STORE_KINDS } from '../helpers/storeKinds';
import { SERVICE_ADMIN, startTenantStack, type TenantStack } from '../helpers/tenantStack';

/**
 * Every route the API mounts, tried by one tenant with another tenant's ids: a lookup answers 404
 * exactly as for an id that never existed, a listing shows none of the other tenant's rows, a
 * create makes a row of the caller's own. The routes are read from the app itself, so a route
 * added without a case here fails this test until someone says how it keeps tenants apart.
 */

/** The other tenant's resources, by the kind of id a route takes. */
interface Theirs {
  callId: string;
  endpointId: string;
  eventId: string;
  deliveryId: string;
  jobId: string;
}

type Case =
  /** Another tenant's id is `not_found`; `own` says the owner itself gets a real answer (so the 404 means something). */
  | { kind: 'lookup'; path: (ids: Theirs) => string; body?: unknown; ownStatus?: number }
  /** A listing that must not show any of `ids`. */
  | { kind: 'listing'; path: string; ids: (ids: Theirs) => string[] }
  /** Makes something in the caller's own tenant; the other tenant's rows stay as they were (checked after the walk). */
  | { kind: 'create'; path: (ids: Theirs) => string; body: (ids: Theirs) => unknown; status: number }
  /** Not a tenant's data: the same for every caller. */
  | { kind: 'shared'; why: string }
  /** Refused to tenant keys altogether. */
  | { kind: 'refused'; status: number; path: (ids: Theirs) => string; body?: unknown };

const CASES: Record<string, Case> = {
  'GET /healthz': { kind: 'shared', why: 'no data' },
  'GET /openapi.json': { kind: 'shared', why: 'the document' },
  'GET /docs': { kind: 'shared', why: 'the document' },
  'GET /console': { kind: 'shared', why: 'the console page: static, it acts through /v1 with the caller’s session' },
  'GET /v1/event-types': { kind: 'shared', why: 'the event catalog' },
  // The caller's own key and nothing else: a session acts with its key's tenant rules (session.test.ts).
  'POST /v1/session': { kind: 'shared', why: 'logs in with the key given' },
  'GET /v1/session': { kind: 'shared', why: 'names the caller itself' },
  'DELETE /v1/session': { kind: 'shared', why: 'clears the caller’s own cookie' },
  'POST /v1/tenants': { kind: 'refused', status: 403, path: () => '/v1/tenants', body: { name: 'x' } },
  'GET /v1/tenants': { kind: 'refused', status: 403, path: () => '/v1/tenants' },
  'GET /v1/tenants/:id': { kind: 'refused', status: 403, path: () => '/v1/tenants/default' },
  'PATCH /v1/tenants/:id': { kind: 'refused', status: 403, path: () => '/v1/tenants/default', body: { name: 'x' } },
  'DELETE /v1/tenants/:id': { kind: 'refused', status: 403, path: () => '/v1/tenants/default' },
  'POST /v1/tenants/:id/keys': { kind: 'refused', status: 403, path: () => '/v1/tenants/default/keys', body: { role: 'admin' } },
  'GET /v1/tenants/:id/keys': { kind: 'refused', status: 403, path: () => '/v1/tenants/default/keys' },
  'DELETE /v1/tenants/:id/keys/:keyId': { kind: 'refused', status: 403, path: () => '/v1/tenants/default/keys/key_0000000000000000' },
  'POST /codec/encode': { kind: 'refused', status: 401, path: () => '/codec/encode', body: { payloads: [] } },
  'POST /codec/decode': { kind: 'refused', status: 401, path: () => '/codec/decode', body: { payloads: [] } },
  // Every tenant's counts (labelled by tenant): the service's keys or the metrics token only.
  'GET /metrics': { kind: 'refused', status: 401, path: () => '/metrics' },
  'POST /v1/endpoints': { kind: 'create', path: () => '/v1/endpoints', body: () => ({ url: 'http://127.0.0.1:9/hook' }), status: 201 },
  'GET /v1/endpoints': { kind: 'listing', path: '/v1/endpoints', ids: (x) => [x.endpointId] },
  'GET /v1/endpoints/:id': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}` },
  'PATCH /v1/endpoints/:id': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}`, body: { description: 'taken over' } },
  'DELETE /v1/endpoints/:id': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}` },
  'GET /v1/endpoints/:id/secret': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}/secret` },
  'POST /v1/endpoints/:id/secret/rotate': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}/secret/rotate` },
  'GET /v1/endpoints/:id/public-key': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}/public-key`, ownStatus: 409 },
  'POST /v1/endpoints/:id/recover': {
    kind: 'lookup',
    path: (x) => `/v1/endpoints/${x.endpointId}/recover`,
    body: { since: '2020-01-01T00:00:00Z' },
  },
  'POST /v1/endpoints/:id/preview': {
    kind: 'lookup',
    path: (x) => `/v1/endpoints/${x.endpointId}/preview`,
    body: { type: 'disposition_updated', data: { callId: 'call-x', disposition: 'booked' } },
  },
  'POST /v1/endpoints/:id/test': { kind: 'lookup', path: (x) => `/v1/endpoints/${x.endpointId}/test` },
  // The same event id in the caller's tenant is an event of its own (202), not a duplicate of theirs.
  'POST /v1/events': {
    kind: 'create',
    path: () => '/v1/events',
    body: (x) => ({ id: x.eventId, type: 'disposition_updated', data: { callId: 'call-mine', disposition: 'booked' } }),
    status: 202,
  },
  'GET /v1/events/:id': { kind: 'lookup', path: (x) => `/v1/events/${x.eventId}` },
  'GET /v1/deliveries': { kind: 'listing', path: '/v1/deliveries', ids: (x) => [x.deliveryId] },
  'GET /v1/deliveries/:id': { kind: 'lookup', path: (x) => `/v1/deliveries/${x.deliveryId}` },
  'POST /v1/deliveries/:id/resend': { kind: 'lookup', path: (x) => `/v1/deliveries/${x.deliveryId}/resend` },
  'POST /v1/deliveries/:id/discard': { kind: 'lookup', path: (x) => `/v1/deliveries/${x.deliveryId}/discard` },
  'GET /v1/jobs/:id': { kind: 'lookup', path: (x) => `/v1/jobs/${x.jobId}` },
  'GET /v1/calls/:callId': { kind: 'lookup', path: (x) => `/v1/calls/${x.callId}` },
  // No key: the token names its endpoint, and reaches only that endpoint's tenant's links (tenants.test.ts).
  'GET /v1/references/:token': { kind: 'shared', why: 'a capability bound to its endpoint’s tenant' },
  'GET /v1/audit': { kind: 'listing', path: '/v1/audit?limit=100', ids: (x) => [x.endpointId, x.deliveryId] },
};

/** Reads one listing's ids (and audit targets). */
const idsIn = (body: { data?: { id?: unknown; target?: unknown }[] }) => (body.data ?? []).flatMap((row) => [row.id, row.target].map(String));

const routesMetrics = createMetrics();

/** The routes of an app built as the service builds it (with the codec server and /metrics). */
function routesOfTheApp(stack: TenantStack): string[] {
  const app = apiOn(
    { store: stack.store, services: stack.services, transforms: stack.stack.transforms, references: stack.stack.references },
    { codec: { codec: stack.stack.codec }, metrics: { metrics: routesMetrics } },
  );
  return mountedRoutes(app).map((r) => `${r.method} ${r.path}`);
}

for (const kind of STORE_KINDS) {
  describe(`tenant isolation on every route (${kind})`, function () {
    this.timeout(120_000);
    let t: TenantStack;
    let hook: Receiver;

    before(async function () {
      this.timeout(180_000);
      t = await startTenantStack(kind);
      hook = await startReceiver(() => 500);
    });
    after(async () => {
      await hook?.close();
      await t?.close();
    });

    it('has a case for every route the app mounts', () => {
      const missing = routesOfTheApp(t).filter((route) => !(route in CASES));
      assert.deepEqual(missing, [], 'routes without an isolation case: say how each keeps tenants apart');
    });

    it('answers another tenant’s ids with 404 and lists none of its rows, for a tenant key and for a service key acting for a tenant', async () => {
      const tag = unique('iso');
      const owner = await t.tenant('owner');
      const intruder = await t.tenant('intruder');
      const other = await t.tenant('other');
      const endpoint = await t.api(owner.admin, 'POST', '/v1/endpoints', {
        url: hook.url,
        retry: fastRetry(1),
        filter: { 'data.metadata.test': tag },
      });
      assert.equal(endpoint.status, 201);
      const eventId = unique('evt');
      const callId = unique('call');
      const sent = await t.api(owner.ingest, 'POST', '/v1/events', {
        id: eventId,
        type: 'call_completed',
        data: {
          callId, startedAt: '2026-11-29T09:58:00Z', endedAt: '2026-11-29T10:00:00Z', durationMs: 1000,
          endedReason: 'caller_hangup', disposition: 'qualified', metadata: { test: tag },
        },
      });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const theirs: Theirs = { callId, endpointId: endpoint.body.id, eventId, deliveryId: `${eventId}~${endpoint.body.id}`, jobId: '' };
      await eventually(async () => (await t.api(owner.admin, 'GET', `/v1/deliveries/${theirs.deliveryId}`)).body?.status === 'awaiting_review', 30_000, 'awaiting review');
      const job = await t.api(owner.admin, 'POST', `/v1/endpoints/${theirs.endpointId}/recover`, { since: '2020-01-01T00:00:00Z', statuses: ['delivered'] });
      assert.equal(job.status, 202);
      theirs.jobId = job.body.jobId;
      await eventually(async () => (await t.api(owner.admin, 'GET', '/v1/deliveries')).body?.data?.some((d: { id: string }) => d.id === theirs.deliveryId), 30_000, 'the delivery listed');
      const before = await t.store.getEndpoint(theirs.endpointId);

      const callers = [
        { name: 'tenant key', key: intruder.admin, tenant: undefined },
        { name: 'service key with X-Tenant-Id', key: SERVICE_ADMIN, tenant: other.id },
      ];
      for (const caller of callers) {
        // Creates last: the caller's own event under the owner's event id would answer the lookup.
        const routes = routesOfTheApp(t).sort((a, b) => Number(CASES[a].kind === 'create') - Number(CASES[b].kind === 'create'));
        for (const route of routes) {
          const c = CASES[route];
          const method = route.split(' ')[0];
          const what = `${caller.name}: ${route}`;
          if (c.kind === 'lookup') {
            const res = await t.api(caller.key, method, c.path(theirs), c.body, caller.tenant);
            assert.equal(res.status, 404, `${what} answered ${res.status} ${JSON.stringify(res.body)}`);
            assert.equal(res.body.error.code, 'not_found', what);
          } else if (c.kind === 'listing') {
            const res = await t.api(caller.key, method, c.path, undefined, caller.tenant);
            assert.equal(res.status, 200, what);
            const shown = idsIn(res.body);
            for (const id of c.ids(theirs)) assert.ok(!shown.includes(id), `${what} shows ${id}`);
          } else if (c.kind === 'create') {
            const res = await t.api(caller.key, method, c.path(theirs), c.body(theirs), caller.tenant);
            assert.equal(res.status, c.status, `${what} answered ${res.status} ${JSON.stringify(res.body)}`);
          } else if (c.kind === 'refused' && caller.name === 'tenant key') {
            const res = await t.api(caller.key, method, c.path(theirs), c.body, caller.tenant);
            assert.equal(res.status, c.status, `${what} answered ${res.status}`);
          }
        }
      }

      // Nothing the intruders tried changed the owner's endpoint, and the owner still sees everything.
      assert.deepEqual(await t.store.getEndpoint(theirs.endpointId), before);
      for (const route of routesOfTheApp(t)) {
        const c = CASES[route];
        if (c.kind !== 'lookup' || route.split(' ')[0] !== 'GET') continue;
        const res = await t.api(owner.admin, 'GET', c.path(theirs));
        assert.equal(res.status, c.ownStatus ?? 200, `owner: ${route} answered ${res.status} ${JSON.stringify(res.body)}`);
      }
      for (const route of routesOfTheApp(t)) {
        const c = CASES[route];
        if (c.kind !== 'listing') continue;
        const shown = idsIn((await t.api(owner.admin, 'GET', c.path)).body);
        assert.ok(c.ids(theirs).some((id) => shown.includes(id)), `owner: ${route} lists its own rows`);
      }
      const status = await t.api(owner.admin, 'GET', `/v1/deliveries/${theirs.deliveryId}`);
      assert.equal(status.body.status, 'awaiting_review', 'the intruders’ resend and discard did nothing');
    });
  });
}
