import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, openSqliteStore } from '../../src/store/sqlite';
import type { AttemptRecord, Store } from '../../src/store/store';

/** How many entries MIGRATIONS in src/store/sqlite/migrations.ts has. */
const MIGRATION_COUNT = MIGRATIONS.length;

/** The endpoints table exactly as MIGRATIONS[0] creates it. */
const FIRST_MIGRATION = `CREATE TABLE endpoints (
     id         TEXT PRIMARY KEY,
     secret     TEXT NOT NULL,
     settings   TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`;

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The master key that seals secrets at rest (test/unit/secretsAtRest.test.ts covers that). */
const MASTER_KEY = Buffer.alloc(32, 3);

function attempt(overrides: Partial<AttemptRecord> & Pick<AttemptRecord, 'deliveryId' | 'attempt'>): AttemptRecord {
  return {
    target: 'primary',
    url: 'https://hooks.example.com/calls',
    startedAt: '2025-01-31T09:30:00.000Z',
    durationMs: 120,
    ...overrides,
  };
}

function userVersion(dir: string): number {
  const db = new Database(path.join(dir, 'callbacks.sqlite'), { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** What only the SQLite store has: one file shared by processes, and its upgrades (`user_version`). */
describe('sqlite store', () => {
  let dir: string;
  let store: Store | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-store-'));
    store = openSqliteStore(dir, { masterKeys: [MASTER_KEY] });
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The open store (each test has one). */
  const s = (): Store => store!;

  /** Closes the current store and opens the same directory again. */
  async function reopen(): Promise<Store> {
    await store?.close();
    store = undefined;
    store = openSqliteStore(dir, { masterKeys: [MASTER_KEY] });
    return store;
  }

  describe('shared by processes', () => {
    /**
     * Another process (the worker, beside the API) holds the write lock, writes and commits while an
     * edit waits: a deferred read-then-write transaction would fail at once ("database is locked",
     * its snapshot being stale); the edits take the lock first and wait their turn.
     */
    it('edits an endpoint while another process writes to the same file', async () => {
      await s().createEndpoint({ id: 'ep', secret: SECRET, settings: { url: 'https://a.example.com/' } });
      await s().createEndpoint({ id: 'other', secret: SECRET, settings: { url: 'https://b.example.com/' } });
      const script = `
        const Database = require('better-sqlite3');
        const db = new Database(process.argv[1]);
        db.pragma('busy_timeout = 5000');
        db.exec('BEGIN IMMEDIATE');
        db.prepare("UPDATE endpoints SET updated_at = 'x' WHERE id = 'other'").run();
        process.stdout.write('locked\\n');
        setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);
      `;
      const { spawn } = await import('node:child_process');
      for (const edit of [
        () => s().updateEndpoint('ep', { description: 'edited' }),
        () => s().disableEndpoint('ep', 'test'),
        () => s().rotateSecret('ep', { secret: 'whsec_' + 'B'.repeat(32), graceMs: 0 }),
      ]) {
        const child = spawn(process.execPath, ['-e', script, path.join(dir, 'callbacks.sqlite')], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
        const started = Date.now();
        await edit();
        assert.ok(Date.now() - started >= 300, 'the edit waited for the other process');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      const ep = await s().getEndpoint('ep');
      assert.equal(ep?.description, 'edited');
      assert.equal(ep?.disabled, true);
      assert.equal(ep?.secret, 'whsec_' + 'B'.repeat(32));
    });
  });

  describe('migrations', () => {
    it('runs each migration once', async () => {
      await s().createEndpoint({ id: 'ep_m', secret: SECRET, settings: { url: 'https://m.example.com/' } });
      await s().close();
      store = undefined;
      assert.equal(userVersion(dir), MIGRATION_COUNT);

      // Reopening twice must not run a migration again (ALTER TABLE ADD COLUMN would throw).
      await reopen();
      await reopen();
      assert.equal((await s().getEndpoint('ep_m'))?.url, 'https://m.example.com/');
      await s().ping();
      await s().close();
      store = undefined;
      assert.equal(userVersion(dir), MIGRATION_COUNT);
    });

    it('upgrades a database made by the first migration only, keeping its rows', async () => {
      await s().close();
      store = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);

      const old = new Database(path.join(dir, 'callbacks.sqlite'));
      old.exec(FIRST_MIGRATION);
      old
        .prepare('INSERT INTO endpoints (id, secret, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run('ep_old', SECRET, JSON.stringify({ url: 'https://old.example.com/', description: 'from v1' }), '2024-12-01T00:00:00.000Z', '2024-12-02T00:00:00.000Z');
      old.pragma('user_version = 1');
      old.close();
      assert.equal(userVersion(dir), 1);

      const upgraded = await reopen();
      assert.equal(userVersion(dir), MIGRATION_COUNT);
      assert.deepEqual(await upgraded.getEndpoint('ep_old'), {
        id: 'ep_old',
        url: 'https://old.example.com/',
        description: 'from v1',
        secret: SECRET,
        createdAt: '2024-12-01T00:00:00.000Z',
        updatedAt: '2024-12-02T00:00:00.000Z',
      });
      // The second migration's column and table are there.
      const t1 = new Date('2025-01-31T09:00:00.000Z');
      assert.deepEqual(await upgraded.noteEndpointOutcome('ep_old', false, t1), { failingSince: t1 });
      await upgraded.recordAttempt(attempt({ deliveryId: 'dlv_v2', attempt: 1 }));
      assert.equal((await upgraded.listAttempts('dlv_v2')).length, 1);
      assert.equal(await upgraded.purgeAttempts(new Date('2030-01-01T00:00:00.000Z')), 1);
    });
  });
});
