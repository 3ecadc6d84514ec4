import assert from 'node:assert/strict';
import { openPostgresStore, PG_MIGRATIONS } from '../../src/store/postgres';
import { CallbackEventsError } from '../../src/errors';
import type { Store } from '../../src/store/store';
import { dropDatabase, freshDatabase, withClient } from '../helpers/postgres';

/**
 * What only the PostgreSQL store has: its migrations, applied once however many processes start
 * together, and forward only. (Everything else is the store contract, test/unit/store.test.ts.)
 */

const secrets = { masterKeys: [Buffer.alloc(32, 5)] };

describe('postgres store: migrations', () => {
  let url: string;
  const stores: Store[] = [];

  beforeEach(async () => {
    url = await freshDatabase();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await dropDatabase(url);
  });

  const versions = () =>
    withClient(url, async (c) => (await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version));

  it('applies the schema once when 8 processes open one fresh database at the same moment', async () => {
    // A migration is plain CREATEs: one applied twice would make that store fail to open.
    const opened = await Promise.allSettled(Array.from({ length: 8 }, () => openPostgresStore({ url, poolSize: 2 }, secrets)));
    for (const o of opened) if (o.status === 'fulfilled') stores.push(o.value);
    assert.deepEqual(
      opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')),
      Array(8).fill('ok'),
    );
    assert.deepEqual(await versions(), PG_MIGRATIONS.map((_, i) => i + 1));
    // Every one of them works on the one schema.
    await stores[0].createEndpoint({ id: 'ep', secret: 'whsec_' + 'A'.repeat(32), settings: { url: 'https://a.example.com/' } });
    for (const s of stores) assert.equal((await s.getEndpoint('ep'))?.url, 'https://a.example.com/');
  });

  it('opens an up-to-date database without applying anything again', async () => {
    stores.push(await openPostgresStore({ url, poolSize: 1 }, secrets));
    const before = await withClient(url, async (c) => (await c.query('SELECT version, applied_at FROM schema_migrations')).rows);
    stores.push(await openPostgresStore({ url, poolSize: 1 }, secrets));
    assert.deepEqual(await withClient(url, async (c) => (await c.query('SELECT version, applied_at FROM schema_migrations')).rows), before);
  });

  it('refuses a database a newer version migrated, rather than run on a schema it does not know', async () => {
    stores.push(await openPostgresStore({ url, poolSize: 1 }, secrets));
    await withClient(url, (c) => c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [PG_MIGRATIONS.length + 1]));
    await assert.rejects(
      openPostgresStore({ url, poolSize: 1 }, secrets),
      (err: unknown) => err instanceof CallbackEventsError && err.code === 'invalid_config' && /newer/.test(err.message),
    );
  });

  it('answers ping while the server is up, and rejects once the store is closed', async () => {
    const store = await openPostgresStore({ url, poolSize: 1 }, secrets);
    await store.ping();
    await store.close();
    await assert.rejects(store.ping());
  });
});
