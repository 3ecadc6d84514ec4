import type { Pool } from 'pg';
import { CallbackEventsError } from '../../errors';
import { inTransaction } from './transaction';

/**
 * The PostgreSQL schema, versioned and forward-only: `schema_migrations` records each version
 * applied, and a new version is a new entry at the end (never an edit of one that shipped).
 * Epoch-millisecond columns are BIGINT (node-postgres answers them as strings; the readers convert).
 * Statements are plain CREATEs, not IF NOT EXISTS: running one twice would fail loudly.
 */
export const PG_MIGRATIONS: string[] = [
  `CREATE TABLE endpoints (
     id                         TEXT PRIMARY KEY,
     secret                     TEXT NOT NULL,
     settings                   TEXT NOT NULL,
     created_at                 TEXT NOT NULL,
     updated_at                 TEXT NOT NULL,
     failing_since              TEXT,
     previous_secret            TEXT,
     previous_secret_expires_at TEXT
   );
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
   CREATE INDEX attempts_started_at ON attempts (started_at);
   CREATE TABLE audit (
     id      BIGSERIAL PRIMARY KEY,
     at      TEXT NOT NULL,
     key_id  TEXT NOT NULL,
     action  TEXT NOT NULL,
     target  TEXT NOT NULL,
     details TEXT
   );
   CREATE TABLE flow (
     endpoint_id  TEXT PRIMARY KEY,
     tokens       DOUBLE PRECISION NOT NULL,
     refilled_at  BIGINT NOT NULL,
     concurrency  DOUBLE PRECISION NOT NULL,
     decreased_at BIGINT NOT NULL DEFAULT 0,
     avg_hold_ms  DOUBLE PRECISION NOT NULL DEFAULT 0
   );
   CREATE TABLE flow_leases (
     id          TEXT PRIMARY KEY,
     endpoint_id TEXT NOT NULL,
     acquired_at BIGINT NOT NULL,
     expires_at  BIGINT NOT NULL
   );
   CREATE INDEX flow_leases_endpoint ON flow_leases (endpoint_id, expires_at);
   CREATE TABLE flow_waiters (
     waiter_id   TEXT PRIMARY KEY,
     endpoint_id TEXT NOT NULL,
     wake_at     BIGINT NOT NULL,
     expires_at  BIGINT NOT NULL
   );
   CREATE INDEX flow_waiters_endpoint ON flow_waiters (endpoint_id, expires_at);`,
  // Call context (store/postgres/callContext.ts): values captured from endpoints' answers, per call;
  // `value` is JSON text (a string, number or boolean).
  `CREATE TABLE call_context (
     call_id    TEXT NOT NULL,
     name       TEXT NOT NULL,
     value      TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (call_id, name)
   );`,
  // Reference URLs (store/postgres/references.ts): the links references redirect to, sealed.
  `CREATE TABLE referenced_links (
     event_id   TEXT NOT NULL,
     field      TEXT NOT NULL,
     sealed_url TEXT NOT NULL,
     keep_until BIGINT NOT NULL,
     PRIMARY KEY (event_id, field)
   );
   CREATE INDEX referenced_links_keep_until ON referenced_links (keep_until);`,
  // Tenants (docs/tenants.md): every endpoint, attempt, audit, call context and referenced link row
  // belongs to one; the rows from before belong to `default`, which always exists. Tenant keys are
  // kept as SHA-256 hashes only. Call ids and event ids are a tenant's own, so the tenant joins
  // those tables' keys.
  `CREATE TABLE tenants (
     id          TEXT PRIMARY KEY,
     settings    TEXT NOT NULL,
     deleting    BOOLEAN NOT NULL DEFAULT false,
     created_at  TEXT NOT NULL,
     updated_at  TEXT NOT NULL
   );
   INSERT INTO tenants (id, settings, created_at, updated_at)
     VALUES ('default', '{"name":"Default"}', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
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
   ALTER TABLE call_context ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
   ALTER TABLE call_context DROP CONSTRAINT call_context_pkey;
   ALTER TABLE call_context ADD PRIMARY KEY (tenant_id, call_id, name);
   ALTER TABLE referenced_links ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
   ALTER TABLE referenced_links DROP CONSTRAINT referenced_links_pkey;
   ALTER TABLE referenced_links ADD PRIMARY KEY (tenant_id, event_id, field);`,
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
   INSERT INTO endpoint_subscriptions (tenant_id, event_type, endpoint_id)
     SELECT DISTINCT e.tenant_id, COALESCE(t.value, '*'), e.id
     FROM endpoints e LEFT JOIN LATERAL jsonb_array_elements_text(e.settings::jsonb -> 'eventTypes') AS t(value) ON true;`,
];

/** Any constant will do, as long as it is ours alone: the advisory lock every migrating process waits on. */
const MIGRATION_LOCK = 0x63_62_65_76; // "cbev"

/**
 * Applies the missing migrations. Processes starting together (API and workers on several hosts)
 * queue on a transaction-scoped advisory lock, so the schema is applied once: the first applies
 * it, the others then find it done. The lock goes with the transaction, even when a process dies.
 */
export async function migrate(pool: Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0].v ?? 0;
    if (current > PG_MIGRATIONS.length) {
      throw new CallbackEventsError(
        'invalid_config',
        `The database at DATABASE_URL has schema version ${current}, newer than this version of the service knows (${PG_MIGRATIONS.length}); migrations only go forward, so run the newer version.`,
      );
    }
    for (let version = current + 1; version <= PG_MIGRATIONS.length; version++) {
      await client.query(PG_MIGRATIONS[version - 1]);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
  });
}
