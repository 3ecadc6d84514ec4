import type Database from 'better-sqlite3';
import type { EndpointPatch, EndpointSettings } from '../../domain/endpoint';
import type { Keyring } from '../../crypto/keyring';
import { CallbackEventsError } from '../../errors';
import { applyPatch, settingsOf, withoutSecret } from '../endpointRecords';
import { toEndpoint, type EndpointMethods, type EndpointRow } from '../rows';
import { sealSettings } from '../secrets';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';
import { subscriptionKeys, toCandidate, type CandidateRow } from '../subscriptions';

/** The endpoints table, secrets sealed with `keyring`; `onDelete` drops what other tables keep for an endpoint. */
export function createSqliteEndpoints(db: Database.Database, keyring: Keyring, onDelete: (id: string) => void): EndpointMethods {
  const stmt = {
    insert: db.prepare(
      `INSERT INTO endpoints (id, secret, settings, created_at, updated_at, sealed, tenant_id)
       VALUES (@id, @secret, @settings, @now, @now, 1, @tenant)`,
    ),
    // `@tenant` NULL: any tenant (the worker's reads, by ids its workflows hold).
    get: db.prepare('SELECT * FROM endpoints WHERE id = @id AND (@tenant IS NULL OR tenant_id = @tenant)'),
    list: db.prepare('SELECT * FROM endpoints WHERE @tenant IS NULL OR tenant_id = @tenant ORDER BY created_at, id'),
    tenantOf: db.prepare('SELECT tenant_id FROM endpoints WHERE id = ?').pluck(),
    update: db.prepare('UPDATE endpoints SET settings = @settings, updated_at = @now WHERE id = @id'),
    remove: db.prepare('DELETE FROM endpoints WHERE id = @id AND (@tenant IS NULL OR tenant_id = @tenant)'),
    rotate: db.prepare(
      `UPDATE endpoints SET secret = @secret, previous_secret = @previous, previous_secret_expires_at = @expiresAt, updated_at = @now
       WHERE id = @id`,
    ),
    failing: db.prepare(
      'UPDATE endpoints SET failing_since = COALESCE(failing_since, @at) WHERE id = @id RETURNING failing_since',
    ),
    healthy: db.prepare('UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL'),
    subscribe: db.prepare('INSERT OR IGNORE INTO endpoint_subscriptions (tenant_id, event_type, endpoint_id) VALUES (?, ?, ?)'),
    unsubscribe: db.prepare('DELETE FROM endpoint_subscriptions WHERE endpoint_id = ?'),
    candidates: db.prepare(
      `SELECT e.id, e.tenant_id, e.settings, e.created_at, e.updated_at
       FROM endpoint_subscriptions s JOIN endpoints e ON e.id = s.endpoint_id AND e.tenant_id = s.tenant_id
       WHERE s.tenant_id = @tenant AND s.event_type IN (SELECT value FROM json_each(@types))
       ORDER BY e.created_at, e.id`,
    ),
    candidate: db.prepare('SELECT id, tenant_id, settings, created_at, updated_at FROM endpoints WHERE id = ? AND tenant_id = ?'),
  };
  /** Keeps the subscription index in step with the endpoint's event types (../subscriptions.ts). */
  const subscribe = (id: string, tenant: string, settings: EndpointSettings) => {
    stmt.unsubscribe.run(id);
    for (const type of subscriptionKeys(settings)) stmt.subscribe.run(tenant, type, id);
  };
  const get = (id: string, tenant: string | null = null) => {
    const row = stmt.get.get({ id, tenant }) as EndpointRow | undefined;
    return row && toEndpoint(row, keyring);
  };
  const storedSettings = (settings: EndpointSettings) => JSON.stringify(sealSettings(keyring, settings));
  const update = db.transaction((id: string, patch: EndpointPatch, tenant: string | null) => {
    const current = get(id, tenant);
    if (!current) return undefined;
    const settings = applyPatch(settingsOf(current), patch);
    stmt.update.run({ id, settings: storedSettings(settings), now: new Date().toISOString() });
    subscribe(id, stmt.tenantOf.get(id) as string, settings);
    return withoutSecret(get(id)!);
  });
  const rotate = db.transaction((id: string, secret: string, graceMs: number, tenant: string | null) => {
    const row = stmt.get.get({ id, tenant }) as EndpointRow | undefined;
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
  const insert = db.transaction((row: { id: string; secret: string; settings: string; now: string; tenant: string }, settings: EndpointSettings) => {
    stmt.insert.run(row);
    subscribe(row.id, row.tenant, settings);
  });
  const remove = db.transaction((id: string, tenant: string | null) => {
    const removed = stmt.remove.run({ id, tenant }).changes > 0;
    if (removed) stmt.unsubscribe.run(id);
    return removed;
  });

  return {
    async createEndpoint({ id, secret, settings, tenantId = DEFAULT_TENANT_ID }) {
      const now = new Date().toISOString();
      try {
        insert.immediate({ id, secret: keyring.seal(secret), settings: storedSettings(settings), now, tenant: tenantId }, settings);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new CallbackEventsError('conflict', `An endpoint with id "${id}" already exists.`);
        }
        throw err;
      }
      return get(id)!;
    },
    async getEndpoint(id, tenantId) {
      return get(id, tenantId ?? null);
    },
    async listEndpoints(tenantId) {
      return (stmt.list.all({ tenant: tenantId ?? null }) as EndpointRow[]).map((row) => withoutSecret(toEndpoint(row, keyring)));
    },
    // Read-modify-write under BEGIN IMMEDIATE: a deferred transaction that reads, then finds another
    // process (the worker, the API) wrote meanwhile, fails at once with "database is locked"
    // (SQLite does not wait on a stale snapshot); taking the write lock first makes it wait its turn.
    async updateEndpoint(id, patch, tenantId) {
      return update.immediate(id, patch, tenantId ?? null);
    },
    async disableEndpoint(id, reason) {
      return disable.immediate(id, reason);
    },
    async deleteEndpoint(id, tenantId) {
      const removed = remove.immediate(id, tenantId ?? null);
      if (removed) onDelete(id);
      return removed;
    },
    async matchCandidates(tenantId, eventTypes) {
      return (stmt.candidates.all({ tenant: tenantId, types: JSON.stringify(eventTypes) }) as CandidateRow[]).map(toCandidate);
    },
    async matchCandidate(id, tenantId) {
      const row = stmt.candidate.get(id, tenantId) as CandidateRow | undefined;
      return row && toCandidate(row);
    },
    async tenantOfEndpoint(id) {
      return stmt.tenantOf.get(id) as string | undefined;
    },
    async rotateSecret(id, { secret, graceMs }, tenantId) {
      return rotate.immediate(id, secret, graceMs, tenantId ?? null);
    },
    async noteEndpointOutcome(id, ok, at) {
      if (ok) {
        stmt.healthy.run(id);
        return {};
      }
      const row = stmt.failing.get({ id, at: at.toISOString() }) as { failing_since: string } | undefined;
      return row ? { failingSince: new Date(row.failing_since) } : {};
    },
  };
}
