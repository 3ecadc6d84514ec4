import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CallbackEventsError } from '../../src/errors';
import { MIGRATIONS, openSqliteStore } from '../../src/store/sqlite';
import { openPostgresStore, PG_MIGRATIONS } from '../../src/store/postgres';
import type { Store } from '../../src/store/store';
import { forTenant } from '../../src/store/tenantStore';
import { keyringOf } from '../../src/store/secrets';
import { dropDatabase, freshDatabase, withClient } from '../helpers/postgres';
import { describeEachStore, STORE_KINDS, type StoreKind } from '../helpers/storeKinds';

/**
 * Tenants in the store, on each store: the `default` tenant, tenants and their keys, the tenant
 * view the API gets (another tenant's rows are absent), deletion, and rows from before tenants
 * belonging to `default` after the upgrade.
 */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MASTER_KEY = Buffer.alloc(32, 3);
const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');
const url = 'https://hooks.example.com/calls';

describeEachStore('store tenants', [MASTER_KEY], (t) => {
  let store: Store;
  beforeEach(() => {
    store = t.store();
  });

  it('has the default tenant from the start, and creates, lists, patches tenants', async () => {
    assert.equal((await store.getTenant('default'))?.name, 'Default');
    const created = await store.createTenant({ id: 'clinic', settings: { name: 'Clinic', metadata: { plan: 'gold' }, weight: 2 } });
    assert.equal(created.id, 'clinic');
    assert.equal(created.weight, 2);
    await assert.rejects(
      store.createTenant({ id: 'clinic', settings: { name: 'Again' } }),
      (err: unknown) => err instanceof CallbackEventsError && err.code === 'conflict',
    );
    assert.deepEqual((await store.listTenants()).map((t) => t.id), ['default', 'clinic']);
    const patched = await store.updateTenant('clinic', { name: 'Clinic AG', metadata: null, limits: { ingestPerSecond: 5 } });
    assert.equal(patched?.name, 'Clinic AG');
    assert.equal(patched?.metadata, undefined);
    assert.equal(patched?.weight, 2);
    assert.deepEqual(patched?.limits, { ingestPerSecond: 5 });
    assert.equal(await store.updateTenant('nope', { name: 'x' }), undefined);
  });

  it('keeps keys as hashes, finds them with their tenant, and forgets a deleted key at once', async () => {
    await store.createTenant({ id: 'bank', settings: { name: 'Bank' } });
    const key = await store.createTenantKey({ id: 'key_1', tenantId: 'bank', role: 'ingest', label: 'producer', hash: hashOf('cbk_secret') });
    assert.deepEqual(await store.listTenantKeys('bank'), [key]);
    assert.deepEqual(await store.listTenantKeys('default'), []);
    const found = await store.findTenantKey(hashOf('cbk_secret'));
    assert.equal(found?.id, 'key_1');
    assert.equal(found?.role, 'ingest');
    assert.equal(found?.tenant.id, 'bank');
    assert.equal(await store.findTenantKey(hashOf('cbk_other')), undefined);
    assert.equal(await store.deleteTenantKey('default', 'key_1'), false, 'another tenant cannot delete the key');
    assert.equal(await store.deleteTenantKey('bank', 'key_1'), true);
    assert.equal(await store.findTenantKey(hashOf('cbk_secret')), undefined);
  });

  it('gives each tenant a view in which the other tenants’ endpoints, attempts and audit records do not exist', async () => {
    await store.createTenant({ id: 'clinic', settings: { name: 'Clinic' } });
    const clinic = forTenant(store, 'clinic');
    const home = forTenant(store, 'default');
    // Its id is in its namespace: `clinic.` and the slug it chose.
    await clinic.createEndpoint({ id: 'ep-clinic', secret: SECRET, settings: { url } });
    await home.createEndpoint({ id: 'ep-home', secret: SECRET, settings: { url } });

    assert.deepEqual((await clinic.listEndpoints()).map((e) => e.id), ['clinic.ep-clinic']);
    assert.deepEqual((await home.listEndpoints()).map((e) => e.id), ['ep-home']);
    assert.equal(await home.getEndpoint('clinic.ep-clinic'), undefined);
    assert.equal(await home.updateEndpoint('clinic.ep-clinic', { description: 'hijacked' }), undefined);
    assert.equal(await home.rotateSecret('clinic.ep-clinic', { secret: 'whsec_x', graceMs: 0 }), undefined);
    assert.equal(await home.flowState('clinic.ep-clinic', 10), undefined);
    assert.equal(await home.deleteEndpoint('clinic.ep-clinic'), false);
    const kept = await clinic.getEndpoint('clinic.ep-clinic');
    assert.equal(kept?.secret, SECRET);
    assert.equal(kept?.description, undefined);
    assert.equal(await store.tenantOfEndpoint('clinic.ep-clinic'), 'clinic');
    // The worker (no tenant) reads every tenant's endpoints by id.
    assert.equal((await store.getEndpoint('clinic.ep-clinic'))?.id, 'clinic.ep-clinic');

    await store.recordAttempt({ deliveryId: 'evt_1~clinic.ep-clinic', attempt: 1, target: 'primary', url, startedAt: new Date().toISOString(), durationMs: 5 });
    assert.equal((await clinic.listAttempts('evt_1~clinic.ep-clinic')).length, 1);
    assert.deepEqual(await home.listAttempts('evt_1~clinic.ep-clinic'), []);
    assert.equal((await home.countAttempts(['evt_1~clinic.ep-clinic'])).size, 0);

    await clinic.recordAudit({ at: new Date().toISOString(), keyId: 'key_c', action: 'endpoint.create', target: 'clinic.ep-clinic' });
    assert.deepEqual((await clinic.listAudit({ limit: 10 })).map((r) => r.target), ['clinic.ep-clinic']);
    assert.deepEqual(await home.listAudit({ limit: 10 }), []);

    // Call ids and event ids are each tenant's own: the same ids hold different values.
    await store.saveCallContext('call-1', { caseId: 'C-CLINIC' }, new Date(), 'clinic');
    await store.saveCallContext('call-1', { caseId: 'C-HOME' }, new Date());
    assert.deepEqual(await clinic.getCallContext('call-1'), { caseId: 'C-CLINIC' });
    assert.deepEqual(await home.getCallContext('call-1'), { caseId: 'C-HOME' });
    const keepUntil = new Date(Date.now() + 60_000);
    await store.keepReferencedLink({ eventId: 'evt_1', field: 'url', url: 'https://a.example/clinic', keepUntil, tenantId: 'clinic' });
    await store.keepReferencedLink({ eventId: 'evt_1', field: 'url', url: 'https://a.example/home', keepUntil });
    assert.equal(await clinic.referencedLink('evt_1', 'url'), 'https://a.example/clinic');
    assert.equal(await home.referencedLink('evt_1', 'url'), 'https://a.example/home');
  });

  it('deletes a tenant: hidden and its keys revoked at once, then its endpoints, attempts, keys, call context and links removed', async () => {
    await store.createTenant({ id: 'insurer', settings: { name: 'Insurer' } });
    const insurer = forTenant(store, 'insurer');
    await insurer.createEndpoint({ id: 'ep-ins', secret: SECRET, settings: { url } });
    await forTenant(store, 'default').createEndpoint({ id: 'ep-stays', secret: SECRET, settings: { url } });
    await store.createTenantKey({ id: 'key_i', tenantId: 'insurer', role: 'admin', hash: hashOf('cbk_ins') });
    await store.recordAttempt({ deliveryId: 'evt_2~insurer.ep-ins', attempt: 1, target: 'primary', url, startedAt: new Date().toISOString(), durationMs: 5 });
    await store.saveCallContext('call-2', { caseId: 'C-INS' }, new Date(), 'insurer');
    await store.keepReferencedLink({ eventId: 'evt_2', field: 'url', url, keepUntil: new Date(Date.now() + 60_000), tenantId: 'insurer' });

    assert.equal(await store.beginTenantDeletion('default-nope'), false);
    assert.equal(await store.beginTenantDeletion('insurer'), true);
    assert.equal(await store.beginTenantDeletion('insurer'), false, 'once');
    assert.equal(await store.getTenant('insurer'), undefined);
    assert.ok(!(await store.listTenants()).some((t) => t.id === 'insurer'));
    assert.equal(await store.findTenantKey(hashOf('cbk_ins')), undefined);

    assert.deepEqual(await store.purgeTenant('insurer'), { endpoints: 1, attempts: 1 });
    assert.equal(await store.getEndpoint('insurer.ep-ins'), undefined);
    assert.equal((await store.getEndpoint('ep-stays'))?.id, 'ep-stays');
    assert.deepEqual(await store.listTenantKeys('insurer'), []);
    assert.deepEqual(await store.getCallContext('call-2', 'insurer'), {});
    assert.equal(await store.referencedLink('evt_2', 'url', undefined, 'insurer'), undefined);
    // The id is free again.
    assert.equal((await store.createTenant({ id: 'insurer', settings: { name: 'Insurer 2' } })).name, 'Insurer 2');
  });
});

for (const kind of STORE_KINDS) {
  describe(`store tenants: upgrade (${kind})`, () => {
    it('moves the rows from before tenants to the default tenant', async () => {
      const { open, dispose } = await preTenantPlace(kind);
      try {
        const store = await open();
        try {
          const home = forTenant(store, 'default');
          assert.equal((await home.getEndpoint('ep-old'))?.url, url);
          assert.deepEqual((await home.listAttempts('evt_0~ep-old')).length, 1);
          assert.deepEqual((await home.listAudit({ limit: 10 })).map((r) => r.target), ['ep-old']);
          assert.deepEqual(await home.getCallContext('call-old'), { caseId: 'CASE-1' });
          assert.deepEqual(await forTenant(store, 'bank').getCallContext('call-old'), {});
          await store.createTenant({ id: 'bank', settings: { name: 'Bank' } });
          assert.deepEqual(await forTenant(store, 'bank').listEndpoints(), []);
          assert.deepEqual(await forTenant(store, 'bank').listAudit({ limit: 10 }), []);
        } finally {
          await store.close();
        }
      } finally {
        await dispose();
      }
    });
  });
}

/** `secret` as the store keeps it: SQLite seals a plain one at open; PostgreSQL's rows were always sealed. */
const oldRows = (secret: string) => [
  `INSERT INTO endpoints (id, secret, settings, created_at, updated_at) VALUES ('ep-old', '${secret}', '{"url":"${url}"}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
  `INSERT INTO attempts (delivery_id, attempt, target, url, started_at, duration_ms) VALUES ('evt_0~ep-old', 1, 'primary', '${url}', '2025-01-01T00:00:00.000Z', 5)`,
  `INSERT INTO audit (at, key_id, action, target) VALUES ('2025-01-01T00:00:00.000Z', 'k', 'endpoint.create', 'ep-old')`,
  `INSERT INTO call_context (call_id, name, value, updated_at) VALUES ('call-old', 'caseId', '"CASE-1"', '2025-01-01T00:00:00.000Z')`,
];

/** A database at the last schema version before tenants, with an endpoint, an attempt and an audit record in it. */
async function preTenantPlace(kind: StoreKind): Promise<{ open(): Promise<Store>; dispose(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-pretenant-'));
    const db = new Database(path.join(dir, 'callbacks.sqlite'));
    const before = MIGRATIONS.length - 1;
    for (const migration of MIGRATIONS.slice(0, before)) db.exec(migration);
    for (const row of oldRows(SECRET)) db.exec(row);
    db.pragma(`user_version = ${before}`);
    db.close();
    return {
      open: async () => openSqliteStore(dir, { masterKeys: [MASTER_KEY] }),
      dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const dbUrl = await freshDatabase();
  await withClient(dbUrl, async (client) => {
    const before = PG_MIGRATIONS.length - 1;
    await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    for (let v = 1; v <= before; v++) {
      await client.query(PG_MIGRATIONS[v - 1]);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
    }
    for (const row of oldRows(keyringOf({ masterKeys: [MASTER_KEY] }).seal(SECRET))) await client.query(row);
  });
  return {
    open: () => openPostgresStore({ url: dbUrl, poolSize: 2 }, { masterKeys: [MASTER_KEY] }),
    dispose: () => dropDatabase(dbUrl),
  };
}
