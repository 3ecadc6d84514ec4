import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../domain/endpoint';
import type { AttemptRecord, Store } from './store';
import { CallbackEventsError } from '../errors';
import { keyringOf, openSealed, openSettings, sealSettings, sealStoredSecrets, type SecretsAtRest } from './secrets';
import type { Keyring } from '../crypto/keyring';
import { resolveKeys } from '../crypto/keys';
import { createSqliteFlow } from './sqliteFlow';

/** Ordered schema migrations; `PRAGMA user_version` records how many have run. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE endpoints (
     id         TEXT PRIMARY KEY,
     secret     TEXT NOT NULL,
     settings   TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  `ALTER TABLE endpoints ADD COLUMN failing_since TEXT;
   CREATE TABLE attempts (
     delivery_id   TEXT NOT NULL,
     attempt       INTEGER NOT NULL,
     target        TEXT NOT NULL,
     url           TEXT NOT NULL,
     started_at    TEXT NOT NULL,
     duration_ms   INTEGER NOT NULL,
     status_code   INTEGER,
     failure       TEXT,
     response_body TEXT,
     PRIMARY KEY (delivery_id, attempt)
   );
   CREATE INDEX attempts_started_at ON attempts (started_at);`,
  // Audit log of management actions: who (API key id), what, on what, when.
  `CREATE TABLE IF NOT EXISTS audit (
     id      INTEGER PRIMARY KEY AUTOINCREMENT,
     at      TEXT NOT NULL,
     key_id  TEXT NOT NULL,
     action  TEXT NOT NULL,
     target  TEXT NOT NULL,
     details TEXT
   );`,
  // Secrets at rest: the secret a rotation replaced (sealed) and until when it signs, and whether
  // the row's secrets are sealed; rows from before are sealed at open (see store/secrets.ts).
  `ALTER TABLE endpoints ADD COLUMN previous_secret TEXT;
   ALTER TABLE endpoints ADD COLUMN previous_secret_expires_at TEXT;
   ALTER TABLE endpoints ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;`,
  // Flow control (store/sqliteFlow.ts): per endpoint a token bucket and the effective (AIMD)
  // concurrency, leases for requests in flight, and deliveries waiting for a slot. Epoch ms.
  `CREATE TABLE IF NOT EXISTS flow (
     endpoint_id  TEXT PRIMARY KEY,
     tokens       REAL NOT NULL,
     refilled_at  INTEGER NOT NULL,
     concurrency  REAL NOT NULL,
     decreased_at INTEGER NOT NULL DEFAULT 0,
     avg_hold_ms  REAL NOT NULL DEFAULT 0
   );
   CREATE TABLE IF NOT EXISTS flow_leases (
     id          TEXT PRIMARY KEY,
     endpoint_id TEXT NOT NULL,
     acquired_at INTEGER NOT NULL,
     expires_at  INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS flow_leases_endpoint ON flow_leases (endpoint_id, expires_at);
   CREATE TABLE IF NOT EXISTS flow_waiters (
     waiter_id   TEXT PRIMARY KEY,
     endpoint_id TEXT NOT NULL,
     wake_at     INTEGER NOT NULL,
     expires_at  INTEGER NOT NULL
   );
   CREATE INDEX IF NOT EXISTS flow_waiters_endpoint ON flow_waiters (endpoint_id, expires_at);`,
];

interface EndpointRow {
  id: string;
  secret: string;
  settings: string;
  created_at: string;
  updated_at: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  target: AttemptRecord['target'];
  url: string;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  failure: AttemptRecord['failure'] | null;
  response_body: string | null;
}

interface AuditRow {
  id: number;
  at: string;
  key_id: string;
  action: string;
  target: string;
  details: string | null;
}

/** Opens the row's secrets; the previous secret only while its grace period lasts. */
function toEndpoint(row: EndpointRow, keyring: Keyring): EndpointWithSecret {
  const settings = openSettings(keyring, JSON.parse(row.settings) as EndpointSettings, row.id);
  const endpoint: EndpointWithSecret = {
    id: row.id,
    ...settings,
    secret: openSealed(keyring, row.secret, `the signing secret of endpoint "${row.id}"`),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  const expiresAt = row.previous_secret_expires_at;
  if (row.previous_secret && expiresAt && Date.parse(expiresAt) > Date.now()) {
    endpoint.previousSecret = openSealed(keyring, row.previous_secret, `the previous signing secret of endpoint "${row.id}"`);
    endpoint.previousSecretExpiresAt = expiresAt;
  }
  return endpoint;
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    target: row.target,
    url: row.url,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code ?? undefined,
    failure: row.failure ?? undefined,
    responseBody: row.response_body ?? undefined,
  };
}

function withoutSecret({ secret: _secret, previousSecret: _p, previousSecretExpiresAt: _pe, ...endpoint }: EndpointWithSecret): Endpoint {
  return endpoint;
}

/**
 * Fields left undefined are kept, and `null` in a patch clears the field. Enabling clears the
 * reason it was disabled for; disabling by hand records that it was an operator.
 */
function applyPatch(settings: EndpointSettings, patch: EndpointPatch): EndpointSettings {
  const next: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (patch.disabled === false) delete next.disabledReason;
  if (patch.disabled === true && !settings.disabled) next.disabledReason = 'disabled by an operator';
  return next as EndpointSettings;
}

function settingsOf(endpoint: EndpointWithSecret): EndpointSettings {
  const { id: _id, secret: _secret, previousSecret: _p, previousSecretExpiresAt: _pe, createdAt: _c, updatedAt: _u, ...settings } = endpoint;
  return settings;
}

export function migrate(db: Database.Database): void {
  // The version is read under the write lock: an API and a worker starting together migrate once.
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= MIGRATIONS.length) return;
    for (let i = current; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  run.immediate();
}

/**
 * `secrets`: the master keys (or a keyring) that seal endpoint secrets and auth credentials at
 * rest. Without them, the development key under `dataDir/keys/master.key` (made once, as
 * `resolveKeys` does) is used; the service always passes its resolved keys.
 */
export function openSqliteStore(dataDir: string, secrets?: SecretsAtRest): Store {
  const keyring = keyringOf(secrets ?? { masterKeys: resolveKeys({ master: [], payload: [] }, dataDir).master });
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'callbacks.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // API and worker processes may share the file; wait rather than fail on a brief lock.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  try {
    sealStoredSecrets(db, keyring);
  } catch (err) {
    db.close();
    throw err;
  }

  const stmt = {
    insert: db.prepare(
      'INSERT INTO endpoints (id, secret, settings, created_at, updated_at, sealed) VALUES (@id, @secret, @settings, @now, @now, 1)',
    ),
    get: db.prepare('SELECT * FROM endpoints WHERE id = ?'),
    list: db.prepare('SELECT * FROM endpoints ORDER BY created_at, id'),
    update: db.prepare('UPDATE endpoints SET settings = @settings, updated_at = @now WHERE id = @id'),
    remove: db.prepare('DELETE FROM endpoints WHERE id = ?'),
    rotate: db.prepare(
      `UPDATE endpoints SET secret = @secret, previous_secret = @previous, previous_secret_expires_at = @expiresAt, updated_at = @now
       WHERE id = @id`,
    ),
    failing: db.prepare(
      'UPDATE endpoints SET failing_since = COALESCE(failing_since, @at) WHERE id = @id RETURNING failing_since',
    ),
    healthy: db.prepare('UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL'),
    recordAttempt: db.prepare(
      `INSERT OR REPLACE INTO attempts (delivery_id, attempt, target, url, started_at, duration_ms, status_code, failure, response_body)
       VALUES (@deliveryId, @attempt, @target, @url, @startedAt, @durationMs, @statusCode, @failure, @responseBody)`,
    ),
    listAttempts: db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt'),
    purgeAttempts: db.prepare('DELETE FROM attempts WHERE started_at < ?'),
    recordAudit: db.prepare(
      'INSERT INTO audit (at, key_id, action, target, details) VALUES (@at, @keyId, @action, @target, @details) RETURNING id',
    ),
    listAudit: db.prepare('SELECT * FROM audit WHERE id < @before ORDER BY id DESC LIMIT @limit'),
    ping: db.prepare('SELECT 1'),
  };
  const get = (id: string) => {
    const row = stmt.get.get(id) as EndpointRow | undefined;
    return row && toEndpoint(row, keyring);
  };
  const storedSettings = (settings: EndpointSettings) => JSON.stringify(sealSettings(keyring, settings));
  const update = db.transaction((id: string, patch: EndpointPatch) => {
    const current = get(id);
    if (!current) return undefined;
    const settings = applyPatch(settingsOf(current), patch);
    stmt.update.run({ id, settings: storedSettings(settings), now: new Date().toISOString() });
    return withoutSecret(get(id)!);
  });
  const rotate = db.transaction((id: string, secret: string, graceMs: number) => {
    const row = stmt.get.get(id) as EndpointRow | undefined;
    if (!row) return undefined;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + graceMs).toISOString();
    // The current secret, still sealed, becomes the previous one; one in grace already is dropped.
    stmt.rotate.run({
      id,
      secret: keyring.seal(secret),
      previous: graceMs > 0 ? row.secret : null,
      expiresAt: graceMs > 0 ? expiresAt : null,
      now: now.toISOString(),
    });
    return { secret, previousSecretExpiresAt: expiresAt };
  });
  const disable = db.transaction((id: string, reason: string) => {
    const current = get(id);
    if (!current || current.disabled) return false;
    const settings: EndpointSettings = { ...settingsOf(current), disabled: true, disabledReason: reason };
    stmt.update.run({ id, settings: storedSettings(settings), now: new Date().toISOString() });
    return true;
  });

  const flow = createSqliteFlow(db);

  const { forget: _forget, ...flowMethods } = flow;

  return {
    ...flowMethods,
    async createEndpoint({ id, secret, settings }) {
      const now = new Date().toISOString();
      try {
        stmt.insert.run({ id, secret: keyring.seal(secret), settings: storedSettings(settings), now });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new CallbackEventsError('conflict', `An endpoint with id "${id}" already exists.`);
        }
        throw err;
      }
      return get(id)!;
    },
    async getEndpoint(id) {
      return get(id);
    },
    async listEndpoints() {
      return (stmt.list.all() as EndpointRow[]).map((row) => withoutSecret(toEndpoint(row, keyring)));
    },
    // Read-modify-write under BEGIN IMMEDIATE: a deferred transaction that reads, then finds another
    // process (the worker, the API) wrote meanwhile, fails at once with "database is locked"
    // (SQLite does not wait on a stale snapshot); taking the write lock first makes it wait its turn.
    async updateEndpoint(id, patch) {
      return update.immediate(id, patch);
    },
    async disableEndpoint(id, reason) {
      return disable.immediate(id, reason);
    },
    async deleteEndpoint(id) {
      const removed = stmt.remove.run(id).changes > 0;
      if (removed) flow.forget(id);
      return removed;
    },
    async rotateSecret(id, { secret, graceMs }) {
      return rotate.immediate(id, secret, graceMs);
    },
    async noteEndpointOutcome(id, ok, at) {
      if (ok) {
        stmt.healthy.run(id);
        return {};
      }
      const row = stmt.failing.get({ id, at: at.toISOString() }) as { failing_since: string } | undefined;
      return row ? { failingSince: new Date(row.failing_since) } : {};
    },
    async recordAttempt(record) {
      stmt.recordAttempt.run({
        ...record,
        statusCode: record.statusCode ?? null,
        failure: record.failure ?? null,
        responseBody: record.responseBody ?? null,
      });
    },
    async listAttempts(deliveryId) {
      return (stmt.listAttempts.all(deliveryId) as AttemptRow[]).map(toAttempt);
    },
    async countAttempts(deliveryIds) {
      const counts = new Map<string, number>();
      if (deliveryIds.length === 0) return counts;
      const rows = db
        .prepare(
          `SELECT delivery_id, COUNT(*) AS n FROM attempts WHERE delivery_id IN (${deliveryIds.map(() => '?').join(',')}) GROUP BY delivery_id`,
        )
        .all(...deliveryIds) as { delivery_id: string; n: number }[];
      for (const row of rows) counts.set(row.delivery_id, row.n);
      return counts;
    },
    async purgeAttempts(before) {
      return stmt.purgeAttempts.run(before.toISOString()).changes;
    },
    async recordAudit(entry) {
      const details = entry.details === undefined ? null : JSON.stringify(entry.details);
      const row = stmt.recordAudit.get({ ...entry, details }) as { id: number };
      return { id: row.id, ...entry };
    },
    async listAudit({ limit, before }) {
      const rows = stmt.listAudit.all({ before: before ?? Number.MAX_SAFE_INTEGER, limit }) as AuditRow[];
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        keyId: row.key_id,
        action: row.action,
        target: row.target,
        ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
      }));
    },
    async ping() {
      stmt.ping.get();
    },
    async close() {
      db.close();
    },
  };
}
