import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createKeyring, keyIdOf } from '../../src/crypto/keyring';
import type { EndpointSettings } from '../../src/domain/endpoint';
import { generateSecret } from '../../src/domain/signing';
import { CallbackEventsError } from '../../src/errors';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';

/** Every byte SQLite keeps for the store: the database, its WAL and shared-memory files. */
function storeBytes(dir: string): Buffer {
  return Buffer.concat(
    fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('callbacks.sqlite'))
      .map((f) => fs.readFileSync(path.join(dir, f))),
  );
}

function assertNotOnDisk(dir: string, values: string[]): void {
  const bytes = storeBytes(dir);
  assert.ok(bytes.length > 0, 'the store files are there');
  for (const value of values) {
    assert.equal(bytes.includes(Buffer.from(value, 'utf8')), false, `"${value}" is readable in the store files`);
  }
}

/** The raw columns, read past the store. */
function rawRow(dir: string, id: string): { secret: string; settings: string; previous_secret: string | null } {
  const db = new Database(path.join(dir, 'callbacks.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT secret, settings, previous_secret FROM endpoints WHERE id = ?').get(id) as never;
  } finally {
    db.close();
  }
}

const keyA = randomBytes(32);
const keyB = randomBytes(32);

describe('secrets at rest', () => {
  let dir: string;
  let store: Store | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-secrets-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(keys: Buffer[]): Promise<Store> {
    await store?.close();
    store = undefined;
    store = openSqliteStore(dir, { masterKeys: keys });
    return store;
  }

  const token = `tok_${randomBytes(12).toString('hex')}`;
  const headerValue = `hv_${randomBytes(12).toString('hex')}`;
  const bearer: EndpointSettings = { url: 'https://crm.example.com/hooks', auth: { type: 'bearer', token } };
  const header: EndpointSettings = { url: 'https://tickets.example.com/hooks', auth: { type: 'header', name: 'X-Api-Key', value: headerValue } };

  it('keeps secrets, rotated secrets and auth credentials out of the sqlite files, and reads them back', async () => {
    const first = generateSecret();
    const edSecret = generateSecret('ed25519');
    const s = await open([keyA]);
    await s.createEndpoint({ id: 'ep-bearer', secret: first, settings: bearer });
    await s.createEndpoint({ id: 'ep-header', secret: edSecret, settings: header });
    const second = generateSecret();
    const rotated = await s.rotateSecret('ep-bearer', { secret: second, graceMs: 3_600_000 });
    assert.equal(rotated?.secret, second);
    assert.ok(Date.parse(rotated!.previousSecretExpiresAt) > Date.now() + 3_500_000);

    // Open store, WAL not yet checkpointed: nothing readable.
    const plain = [first, first.slice(6), second, second.slice(6), edSecret, edSecret.slice(5), token, headerValue];
    assertNotOnDisk(dir, plain);
    // The columns hold sealed values under the key's id.
    const raw = rawRow(dir, 'ep-bearer');
    assert.match(raw.secret, new RegExp(`^v1\\.${keyIdOf(keyA)}\\.[A-Za-z0-9_-]+$`));
    assert.match(raw.previous_secret!, new RegExp(`^v1\\.${keyIdOf(keyA)}\\.`));
    assert.match(JSON.parse(raw.settings).auth.token, new RegExp(`^v1\\.${keyIdOf(keyA)}\\.`));
    assert.equal(JSON.parse(raw.settings).url, bearer.url, 'the rest stays readable');

    // Reopened with the same key: everything reads back, in clear.
    const again = await open([keyA]);
    assertNotOnDisk(dir, plain);
    const got = await again.getEndpoint('ep-bearer');
    assert.equal(got?.secret, second);
    assert.equal(got?.previousSecret, first);
    assert.deepEqual(got?.auth, bearer.auth);
    const ed = await again.getEndpoint('ep-header');
    assert.equal(ed?.secret, edSecret);
    assert.deepEqual(ed?.auth, header.auth);
    assert.deepEqual(
      (await again.listEndpoints()).map((e) => e.auth),
      [bearer.auth, header.auth],
    );
    await again.close();
    store = undefined;
    assertNotOnDisk(dir, plain);
  });

  it('seals a credential a patch sets, and keeps the secret sealed through updates and disabling', async () => {
    const secret = generateSecret();
    const s = await open([keyA]);
    await s.createEndpoint({ id: 'ep-p', secret, settings: { url: 'https://p.example.com/' } });
    const newToken = `tok_${randomBytes(12).toString('hex')}`;
    const updated = await s.updateEndpoint('ep-p', { auth: { type: 'bearer', token: newToken }, description: 'patched' });
    assert.deepEqual(updated?.auth, { type: 'bearer', token: newToken });
    assert.equal(await s.disableEndpoint('ep-p', 'because'), true);
    const got = await s.getEndpoint('ep-p');
    assert.equal(got?.secret, secret);
    assert.equal(got?.description, 'patched');
    assert.deepEqual(got?.auth, { type: 'bearer', token: newToken });
    assertNotOnDisk(dir, [secret, secret.slice(6), newToken]);
    assert.equal('previousSecret' in JSON.parse(rawRow(dir, 'ep-p').settings), false);
  });

  it('reads everything with a second key prepended (rotation), re-seals it under the new key, and then needs only that one', async () => {
    const secret = generateSecret();
    let s = await open([keyA]);
    await s.createEndpoint({ id: 'ep-r', secret, settings: bearer });
    await s.rotateSecret('ep-r', { secret: generateSecret(), graceMs: 3_600_000 });
    const before = await s.getEndpoint('ep-r');

    s = await open([keyB, keyA]);
    assert.deepEqual(await s.getEndpoint('ep-r'), before);
    const raw = rawRow(dir, 'ep-r');
    for (const sealed of [raw.secret, raw.previous_secret!, JSON.parse(raw.settings).auth.token]) {
      assert.ok(sealed.startsWith(`v1.${keyIdOf(keyB)}.`), `${sealed} is sealed under the new key`);
    }

    s = await open([keyB]);
    assert.deepEqual(await s.getEndpoint('ep-r'), before);
    // Created under B alone, it reads under B.
    await s.createEndpoint({ id: 'ep-b', secret, settings: header });
    assert.equal((await s.getEndpoint('ep-b'))?.secret, secret);
  });

  it('refuses to open with a wrong key, saying which value and which setting', async () => {
    const s = await open([keyA]);
    await s.createEndpoint({ id: 'ep-w', secret: generateSecret(), settings: bearer });
    await s.close();
    store = undefined;
    const wrong = randomBytes(32);
    assert.throws(
      () => openSqliteStore(dir, { masterKeys: [wrong] }),
      (err: unknown) => {
        assert.ok(err instanceof CallbackEventsError && err.code === 'store_key_error', String(err));
        assert.match(err.message, /endpoint "ep-w"/);
        assert.match(err.message, new RegExp(`No key with id ${keyIdOf(keyA)}`));
        assert.match(err.message, /CALLBACKS_MASTER_KEY/);
        return true;
      },
    );
    // The right key still opens it: the failed attempt changed nothing.
    assert.ok((await open([keyA])).getEndpoint('ep-w'));
    assert.equal((await store!.getEndpoint('ep-w'))?.auth?.type, 'bearer');
  });

  it('refuses a tampered sealed value clearly', async () => {
    const s = await open([keyA]);
    await s.createEndpoint({ id: 'ep-t', secret: generateSecret(), settings: bearer });
    await s.close();
    store = undefined;
    const db = new Database(path.join(dir, 'callbacks.sqlite'));
    const { secret } = db.prepare("SELECT secret FROM endpoints WHERE id = 'ep-t'").get() as { secret: string };
    const flipped = secret.slice(0, -2) + (secret.at(-2) === 'A' ? 'B' : 'A') + secret.at(-1);
    db.prepare("UPDATE endpoints SET secret = ? WHERE id = 'ep-t'").run(flipped);
    db.close();
    assert.throws(() => openSqliteStore(dir, { masterKeys: [keyA] }), /signing secret of endpoint "ep-t".*altered or the key is wrong/);
  });

  it('accepts a ready keyring', async () => {
    const keyring = createKeyring([keyA]);
    store = openSqliteStore(dir, { keyring });
    const secret = generateSecret();
    await store.createEndpoint({ id: 'ep-k', secret, settings: bearer });
    assert.equal(keyring.open(rawRow(dir, 'ep-k').secret), secret);
  });

  describe('rotation in the store', () => {
    it('keeps the replaced secret only for its grace period', async () => {
      const s = await open([keyA]);
      const first = generateSecret();
      await s.createEndpoint({ id: 'ep-g', secret: first, settings: bearer });
      const second = generateSecret();
      const { previousSecretExpiresAt } = (await s.rotateSecret('ep-g', { secret: second, graceMs: 300 }))!;
      const during = await s.getEndpoint('ep-g');
      assert.equal(during?.secret, second);
      assert.equal(during?.previousSecret, first);
      assert.equal(during?.previousSecretExpiresAt, previousSecretExpiresAt);
      // Never in listings or update answers.
      const listed = (await s.listEndpoints())[0] as unknown as Record<string, unknown>;
      assert.equal('previousSecret' in listed, false);
      assert.equal('secret' in listed, false);
      const updated = (await s.updateEndpoint('ep-g', { description: 'x' })) as unknown as Record<string, unknown>;
      assert.equal('previousSecret' in updated, false);

      await new Promise((r) => setTimeout(r, 400));
      const after = await s.getEndpoint('ep-g');
      assert.equal(after?.secret, second);
      assert.equal(after?.previousSecret, undefined);
      assert.equal('previousSecretExpiresAt' in after!, false);
    });

    it('drops the replaced secret at once with grace 0, and the older one when rotating again', async () => {
      const s = await open([keyA]);
      const [a, b, c, d] = [generateSecret(), generateSecret(), generateSecret(), generateSecret()];
      await s.createEndpoint({ id: 'ep-z', secret: a, settings: bearer });
      await s.rotateSecret('ep-z', { secret: b, graceMs: 0 });
      const now = await s.getEndpoint('ep-z');
      assert.equal(now?.secret, b);
      assert.equal(now?.previousSecret, undefined);

      await s.rotateSecret('ep-z', { secret: c, graceMs: 60_000 });
      await s.rotateSecret('ep-z', { secret: d, graceMs: 60_000 });
      const twice = await s.getEndpoint('ep-z');
      assert.equal(twice?.secret, d);
      assert.equal(twice?.previousSecret, c, 'only the one just replaced keeps signing');
      assert.equal(await s.rotateSecret('ep-nope', { secret: a, graceMs: 0 }), undefined);
    });
  });

  describe('the migration of rows written before sealing', () => {
    it('seals existing plaintext secrets and credentials, leaving no plaintext in the files', async () => {
      const secrets = [generateSecret(), generateSecret()];
      const old = new Database(path.join(dir, 'callbacks.sqlite'));
      old.pragma('journal_mode = WAL');
      // The schema as the first two migrations made it.
      old.exec(`CREATE TABLE endpoints (id TEXT PRIMARY KEY, secret TEXT NOT NULL, settings TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        ALTER TABLE endpoints ADD COLUMN failing_since TEXT;
        CREATE TABLE attempts (delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, target TEXT NOT NULL, url TEXT NOT NULL,
          started_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, status_code INTEGER, failure TEXT, response_body TEXT,
          PRIMARY KEY (delivery_id, attempt));
        CREATE INDEX attempts_started_at ON attempts (started_at);`);
      const insert = old.prepare('INSERT INTO endpoints (id, secret, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
      insert.run('ep-old1', secrets[0], JSON.stringify(bearer), '2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z');
      insert.run('ep-old2', secrets[1], JSON.stringify(header), '2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z');
      old.pragma('user_version = 2');
      old.close();
      assert.ok(storeBytes(dir).includes(Buffer.from(token)), 'the old file holds the plaintext (the premise)');

      const s = await open([keyA]);
      const plain = [...secrets, ...secrets.map((x) => x.slice(6)), token, headerValue];
      assertNotOnDisk(dir, plain);
      assert.equal((await s.getEndpoint('ep-old1'))?.secret, secrets[0]);
      assert.deepEqual((await s.getEndpoint('ep-old1'))?.auth, bearer.auth);
      assert.deepEqual(await s.getEndpoint('ep-old2'), {
        id: 'ep-old2',
        ...header,
        secret: secrets[1],
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-02T00:00:00.000Z',
      });
      assert.ok(rawRow(dir, 'ep-old1').secret.startsWith(`v1.${keyIdOf(keyA)}.`));

      // Opening again seals nothing twice.
      const again = await open([keyA]);
      assert.equal((await again.getEndpoint('ep-old1'))?.secret, secrets[0]);
      assert.deepEqual((await again.getEndpoint('ep-old2'))?.auth, header.auth);
      await again.close();
      store = undefined;
      assertNotOnDisk(dir, plain);
    });
  });
});
