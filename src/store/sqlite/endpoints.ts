import type Database from 'better-sqlite3';
import type { EndpointPatch, EndpointSettings } from '../../domain/endpoint';
import type { Keyring } from '../../crypto/keyring';
import { CallbackEventsError } from '../../errors';
import { applyPatch, settingsOf, withoutSecret } from '../endpointRecords';
import { toEndpoint, type EndpointMethods, type EndpointRow } from '../rows';
import { sealSettings } from '../secrets';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';


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

  return {
    async createEndpoint({ id, secret, settings, tenantId = DEFAULT_TENANT_ID }) {
      const now = new Date().toISOString();
      try {
        stmt.insert.run({ id, secret: keyring.seal(secret), settings: storedSettings(settings), now, tenant: tenantId });
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
      const removed = stmt.remove.run({ id, tenant: tenantId ?? null }).changes > 0;
      if (removed) onDelete(id);
      return removed;
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
