import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createMatching } from '../../activities/matching';
import { createKeyring } from '../../src/crypto/keyring';
import { openPostgresStore, PG_MIGRATIONS } from '../../src/store/postgres';
import { MIGRATIONS, openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { dropDatabase, freshDatabase, withClient } from '../helpers/postgres';

/**
 * The subscription index is built from the endpoints a store held before it: on both stores, a
 * database at the schema version just before the index opens with every endpoint indexed.
 */

const MASTER_KEY = Buffer.alloc(32, 4);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const AT = '2026-01-01T00:00:00.000Z';

/** The migrations before the one that made the index. */
const before = (migrations: string[]) => migrations.slice(0, migrations.findIndex((m) => m.includes('CREATE TABLE endpoint_subscriptions')));

/** Endpoints as the old schema kept them: id, tenant, settings. */
const OLD_ENDPOINTS: Array<[string, string, object]> = [
  ['d_all', 'default', { url: 'https://d.example.com/' }],
  ['d_completed', 'default', { url: 'https://d.example.com/c', eventTypes: ['call_completed'] }],
  ['a_two', 'acme', { url: 'https://a.example.com/', eventTypes: ['call_started', 'call_completed'], filter: { 'data.ok': true } }],
  ['a_ops', 'acme', { url: 'https://a.example.com/ops', eventTypes: ['endpoint_disabled'] }],
];

async function assertIndexed(store: Store): Promise<void> {
  const m = createMatching({ store });
  const match = async (type: string, tenantId: string, data: Record<string, unknown> = {}) =>
    (await m.matchEndpoints({ event: { id: 'evt_1', type, occurredAt: AT, data }, tenantId })).map((x) => x.endpointId).sort();
  assert.deepEqual(await match('call_completed', 'default'), ['d_all', 'd_completed']);
  assert.deepEqual(await match('call_started', 'default'), ['d_all']);
  assert.deepEqual(await match('call_completed', 'acme', { ok: true }), ['a_two']);
  assert.deepEqual(await match('call_started', 'acme', { ok: false }), []);
  assert.deepEqual(await match('endpoint_disabled', 'acme'), ['a_ops']);
  assert.equal((await store.getEndpoint('a_two', 'acme'))?.secret, SECRET);
}

describe('subscription index migration', () => {
  it('sqlite: indexes the endpoints of a database from before the index', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-subs-'));
    try {
      const old = new Database(path.join(dir, 'callbacks.sqlite'));
      const migrations = before(MIGRATIONS);
      for (const sql of migrations) old.exec(sql);
      old.pragma(`user_version = ${migrations.length}`);
      const insert = old.prepare('INSERT INTO endpoints (id, secret, settings, created_at, updated_at, tenant_id) VALUES (?, ?, ?, ?, ?, ?)');
      for (const [id, tenant, settings] of OLD_ENDPOINTS) insert.run(id, SECRET, JSON.stringify(settings), AT, AT, tenant);
      old.close();
      const store = openSqliteStore(dir, { masterKeys: [MASTER_KEY] });
      try {
        await assertIndexed(store);
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('postgres: indexes the endpoints of a database from before the index', async () => {
    const url = await freshDatabase();
    try {
      const sealed = createKeyring([MASTER_KEY]).seal(SECRET);
      await withClient(url, async (client) => {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        const migrations = before(PG_MIGRATIONS);
        for (const [i, sql] of migrations.entries()) {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
        }
        for (const [id, tenant, settings] of OLD_ENDPOINTS) {
          await client.query('INSERT INTO endpoints (id, secret, settings, created_at, updated_at, tenant_id) VALUES ($1, $2, $3, $4, $4, $5)', [
            id,
            sealed,
            JSON.stringify(settings),
            AT,
            tenant,
          ]);
        }
      });
      const store = await openPostgresStore({ url, poolSize: 2 }, { masterKeys: [MASTER_KEY] });
      try {
        await assertIndexed(store);
      } finally {
        await store.close();
      }
    } finally {
      await dropDatabase(url);
    }
  });
});
