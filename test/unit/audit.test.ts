import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, openSqliteStore } from '../../src/store/sqlite';
import type { AuditInput, Store } from '../../src/store/store';
import { STORE_KINDS, storePlace, type StorePlace } from '../helpers/storeKinds';

/** The audit log in each store: recordAudit and listAudit (newest first, paged by id). */

const secrets = { masterKeys: [randomBytes(32)] };

const entry = (n: number, extra: Partial<AuditInput> = {}): AuditInput => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  keyId: n % 2 ? 'a1b2c3d4' : '0f0f0f0f',
  action: 'endpoint.update',
  target: `ep-${n}`,
  ...extra,
});

for (const kind of STORE_KINDS) {
  describe(`store contract: audit log (${kind})`, () => {
    let place: StorePlace;
    let store: Store | undefined;
    const s = (): Store => store!;

    beforeEach(async () => {
      place = await storePlace(kind);
      store = await place.open(secrets);
    });
    afterEach(async () => {
      await store?.close();
      store = undefined;
      await place.dispose();
    });

    it('answers an empty list before anything is recorded', async () => {
      assert.deepEqual(await s().listAudit({ limit: 10 }), []);
    });

    it('records an entry and reads it back as written, with an id; details are kept as JSON, absent when not given', async () => {
      const withDetails = await s().recordAudit(entry(1, { details: { fields: ['url', 'retry'], nested: { n: 1 } } }));
      const without = await s().recordAudit(entry(2, { action: 'endpoint.delete' }));
      assert.equal(typeof withDetails.id, 'number');
      assert.ok(without.id > withDetails.id, `${without.id} after ${withDetails.id}`);
      const listed = await s().listAudit({ limit: 10 });
      assert.deepEqual(listed, [
        { id: without.id, ...entry(2, { action: 'endpoint.delete' }) },
        { id: withDetails.id, ...entry(1, { details: { fields: ['url', 'retry'], nested: { n: 1 } } }) },
      ]);
      assert.ok(!('details' in listed[0]), JSON.stringify(listed[0]));
    });

    it('lists newest first, pages with limit and before, and never repeats or skips a record', async () => {
      const ids: number[] = [];
      for (let n = 0; n < 7; n++) ids.push((await s().recordAudit(entry(n))).id);
      const seen: string[] = [];
      let before: number | undefined;
      const pageSizes: number[] = [];
      for (;;) {
        const page = await s().listAudit({ limit: 3, before });
        if (page.length === 0) break;
        pageSizes.push(page.length);
        seen.push(...page.map((r) => r.target));
        before = page[page.length - 1].id;
      }
      assert.deepEqual(pageSizes, [3, 3, 1]);
      assert.deepEqual(seen, ['ep-6', 'ep-5', 'ep-4', 'ep-3', 'ep-2', 'ep-1', 'ep-0']);
      assert.deepEqual(
        (await s().listAudit({ limit: 2, before: ids[4] })).map((r) => r.target),
        ['ep-3', 'ep-2'],
      );
    });

    it('orders by when it was recorded, not by the time written in the entry', async () => {
      await s().recordAudit(entry(1, { at: '2030-01-01T00:00:00.000Z', target: 'first' }));
      await s().recordAudit(entry(2, { at: '2020-01-01T00:00:00.000Z', target: 'second' }));
      assert.deepEqual((await s().listAudit({ limit: 5 })).map((r) => r.target), ['second', 'first']);
    });

    it('keeps the log across a reopen, and ids keep increasing', async () => {
      const first = await s().recordAudit(entry(1));
      await s().close();
      store = await place.open(secrets);
      const second = await s().recordAudit(entry(2));
      assert.ok(second.id > first.id);
      assert.deepEqual((await s().listAudit({ limit: 5 })).map((r) => r.target), ['ep-2', 'ep-1']);
    });
  });
}

describe('sqlite store: audit table upgrade', () => {
  let dir: string;
  let store: Store | undefined;
  const s = (): Store => store!;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-audit-'));
    store = openSqliteStore(dir, secrets);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds the audit table to a database made by the earlier migrations', async () => {
    await s().close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const auditIndex = MIGRATIONS.findIndex((m) => /CREATE TABLE IF NOT EXISTS audit\b/.test(m));
    assert.ok(auditIndex > 0, 'an audit migration exists');
    const old = new Database(path.join(dir, 'callbacks.sqlite'));
    for (const m of MIGRATIONS.slice(0, auditIndex)) old.exec(m);
    old.pragma(`user_version = ${auditIndex}`);
    assert.equal((old.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'audit'").get() as { n: number }).n, 0);
    old.close();

    store = openSqliteStore(dir, secrets);
    const recorded = await s().recordAudit(entry(3));
    assert.deepEqual(await s().listAudit({ limit: 1 }), [{ id: recorded.id, ...entry(3) }]);
  });
});
