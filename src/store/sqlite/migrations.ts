import type Database from 'better-sqlite3';

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
  // the row's secrets are sealed; rows from before are sealed at open (see sealStoredSecrets.ts).
  `ALTER TABLE endpoints ADD COLUMN previous_secret TEXT;
   ALTER TABLE endpoints ADD COLUMN previous_secret_expires_at TEXT;
   ALTER TABLE endpoints ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;`,
  // Flow control (store/sqlite/flow.ts): per endpoint a token bucket and the effective (AIMD)
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
  // Call context (store/sqlite/callContext.ts): values captured from endpoints' answers, per call;
  // `value` is JSON text (a string, number or boolean).
  `CREATE TABLE IF NOT EXISTS call_context (
     call_id    TEXT NOT NULL,
     name       TEXT NOT NULL,
     value      TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (call_id, name)
   );`,
  // Reference URLs (store/sqlite/references.ts): the links references redirect to, sealed, kept
  // until `keep_until` (epoch ms), then purged.
  `CREATE TABLE IF NOT EXISTS referenced_links (
     event_id   TEXT NOT NULL,
     field      TEXT NOT NULL,
     sealed_url TEXT NOT NULL,
     keep_until INTEGER NOT NULL,
     PRIMARY KEY (event_id, field)
   );
   CREATE INDEX IF NOT EXISTS referenced_links_keep_until ON referenced_links (keep_until);`,
  // Tenants (docs/tenants.md): every endpoint, attempt, audit, call context and referenced link row
  // belongs to one; the rows from before belong to `default`, which always exists. Tenant keys are
  // kept as SHA-256 hashes only. Call ids and event ids are a tenant's own, so the tenant joins
  // those tables' keys (SQLite cannot change a key in place: the tables are made again).
  `CREATE TABLE tenants (
     id          TEXT PRIMARY KEY,
     settings    TEXT NOT NULL,
     deleting    INTEGER NOT NULL DEFAULT 0,
     created_at  TEXT NOT NULL,
     updated_at  TEXT NOT NULL
   );
   INSERT INTO tenants (id, settings, created_at, updated_at)
     VALUES ('default', '{"name":"Default"}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
   CREATE TABLE tenant_keys (
     id         TEXT PRIMARY KEY,
     tenant_id  TEXT NOT NULL,
     role       TEXT NOT NULL,
     label      TEXT,
     hash       TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE INDEX tenant_keys_tenant ON tenant_keys (tenant_id, created_at);
   ALTER TABLE endpoints ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
   CREATE INDEX endpoints_tenant ON endpoints (tenant_id, created_at, id);
   ALTER TABLE attempts ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
   CREATE INDEX attempts_tenant ON attempts (tenant_id);
   ALTER TABLE audit ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
   CREATE INDEX audit_tenant ON audit (tenant_id, id);
   CREATE TABLE call_context_by_tenant (
     tenant_id  TEXT NOT NULL DEFAULT 'default',
     call_id    TEXT NOT NULL,
     name       TEXT NOT NULL,
     value      TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (tenant_id, call_id, name)
   );
   INSERT INTO call_context_by_tenant (call_id, name, value, updated_at) SELECT call_id, name, value, updated_at FROM call_context;
   DROP TABLE call_context;
   ALTER TABLE call_context_by_tenant RENAME TO call_context;
   CREATE TABLE referenced_links_by_tenant (
     tenant_id  TEXT NOT NULL DEFAULT 'default',
     event_id   TEXT NOT NULL,
     field      TEXT NOT NULL,
     sealed_url TEXT NOT NULL,
     keep_until INTEGER NOT NULL,
     PRIMARY KEY (tenant_id, event_id, field)
   );
   INSERT INTO referenced_links_by_tenant (event_id, field, sealed_url, keep_until)
     SELECT event_id, field, sealed_url, keep_until FROM referenced_links;
   DROP TABLE referenced_links;
   ALTER TABLE referenced_links_by_tenant RENAME TO referenced_links;
   CREATE INDEX referenced_links_keep_until ON referenced_links (keep_until);`,
  // The subscription index (store/subscriptions.ts): matching reads an event's candidates by
  // (tenant, type) without opening any endpoint's secrets. Existing endpoints are indexed from
  // their settings: each of their event types, or `*` when they name none.
  `CREATE TABLE endpoint_subscriptions (
     tenant_id   TEXT NOT NULL,
     event_type  TEXT NOT NULL,
     endpoint_id TEXT NOT NULL,
     PRIMARY KEY (tenant_id, event_type, endpoint_id)
   );
   CREATE INDEX endpoint_subscriptions_endpoint ON endpoint_subscriptions (endpoint_id);
   INSERT OR IGNORE INTO endpoint_subscriptions (tenant_id, event_type, endpoint_id)
     SELECT e.tenant_id, COALESCE(t.value, '*'), e.id
     FROM endpoints e LEFT JOIN json_each(e.settings, '$.eventTypes') t;`,
];

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
