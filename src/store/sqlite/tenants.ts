import type Database from 'better-sqlite3';
import { patchTenant, type TenantSettings } from '../../domain/tenant';
import { CallbackEventsError } from '../../errors';
import { toTenant, toTenantKey, type TenantKeyRow, type TenantMethods, type TenantRow } from '../rows';


/** The tenants and their keys; `onDelete` drops what other tables keep for an endpoint (its flow control). */
export function createSqliteTenants(db: Database.Database, onDelete: (endpointId: string) => void): TenantMethods {
  const stmt = {
    insert: db.prepare('INSERT INTO tenants (id, settings, created_at, updated_at) VALUES (@id, @settings, @now, @now)'),
    get: db.prepare('SELECT * FROM tenants WHERE id = ? AND deleting = 0'),
    list: db.prepare('SELECT * FROM tenants WHERE deleting = 0 ORDER BY created_at, id'),
    update: db.prepare('UPDATE tenants SET settings = @settings, updated_at = @now WHERE id = @id'),
    hide: db.prepare('UPDATE tenants SET deleting = 1 WHERE id = ? AND deleting = 0'),
    dropKeys: db.prepare('DELETE FROM tenant_keys WHERE tenant_id = ?'),
    endpointIds: db.prepare('SELECT id FROM endpoints WHERE tenant_id = ?').pluck(),
    dropEndpoints: db.prepare('DELETE FROM endpoints WHERE tenant_id = ?'),
    dropSubscriptions: db.prepare('DELETE FROM endpoint_subscriptions WHERE tenant_id = ?'),
    dropAttempts: db.prepare('DELETE FROM attempts WHERE tenant_id = ?'),
    dropCallContext: db.prepare('DELETE FROM call_context WHERE tenant_id = ?'),
    dropLinks: db.prepare('DELETE FROM referenced_links WHERE tenant_id = ?'),
    dropTenant: db.prepare('DELETE FROM tenants WHERE id = ? AND deleting = 1'),
    insertKey: db.prepare(
      'INSERT INTO tenant_keys (id, tenant_id, role, label, hash, created_at) VALUES (@id, @tenantId, @role, @label, @hash, @now)',
    ),
    listKeys: db.prepare('SELECT * FROM tenant_keys WHERE tenant_id = ? ORDER BY created_at, id'),
    deleteKey: db.prepare('DELETE FROM tenant_keys WHERE tenant_id = ? AND id = ?'),
    findKey: db.prepare(
      `SELECT k.*, t.settings AS t_settings, t.created_at AS t_created_at, t.updated_at AS t_updated_at
       FROM tenant_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ? AND t.deleting = 0`,
    ),
  };
  const get = (id: string) => {
    const row = stmt.get.get(id) as TenantRow | undefined;
    return row && toTenant(row);
  };
  const update = db.transaction((id: string, patch: Parameters<TenantMethods['updateTenant']>[1]) => {
    const current = get(id);
    if (!current) return undefined;
    const { id: _id, createdAt: _c, updatedAt: _u, ...settings } = current;
    stmt.update.run({ id, settings: JSON.stringify(patchTenant(settings, patch)), now: new Date().toISOString() });
    return get(id);
  });
  const hide = db.transaction((id: string) => {
    if (stmt.hide.run(id).changes === 0) return false;
    stmt.dropKeys.run(id);
    return true;
  });
  const purge = db.transaction((id: string) => {
    const endpointIds = stmt.endpointIds.all(id) as string[];
    const endpoints = stmt.dropEndpoints.run(id).changes;
    stmt.dropSubscriptions.run(id);
    const attempts = stmt.dropAttempts.run(id).changes;
    stmt.dropCallContext.run(id);
    stmt.dropLinks.run(id);
    stmt.dropKeys.run(id);
    stmt.dropTenant.run(id);
    return { endpointIds, endpoints, attempts };
  });

  return {
    async createTenant({ id, settings }: { id: string; settings: TenantSettings }) {
      try {
        stmt.insert.run({ id, settings: JSON.stringify(settings), now: new Date().toISOString() });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new CallbackEventsError('conflict', `A tenant with id "${id}" already exists.`);
        }
        throw err;
      }
      return get(id)!;
    },
    async getTenant(id) {
      return get(id);
    },
    async listTenants() {
      return (stmt.list.all() as TenantRow[]).map(toTenant);
    },
    async updateTenant(id, patch) {
      return update.immediate(id, patch);
    },
    async beginTenantDeletion(id) {
      return hide.immediate(id);
    },
    async purgeTenant(id) {
      const { endpointIds, endpoints, attempts } = purge.immediate(id);
      for (const endpointId of endpointIds) onDelete(endpointId);
      return { endpoints, attempts };
    },
    async createTenantKey({ id, tenantId, role, label, hash }) {
      const now = new Date().toISOString();
      stmt.insertKey.run({ id, tenantId, role, label: label ?? null, hash, now });
      return toTenantKey({ id, tenant_id: tenantId, role, label: label ?? null, created_at: now });
    },
    async listTenantKeys(tenantId) {
      return (stmt.listKeys.all(tenantId) as TenantKeyRow[]).map(toTenantKey);
    },
    async deleteTenantKey(tenantId, keyId) {
      return stmt.deleteKey.run(tenantId, keyId).changes > 0;
    },
    async findTenantKey(hash) {
      const row = stmt.findKey.get(hash) as (TenantKeyRow & { t_settings: string; t_created_at: string; t_updated_at: string }) | undefined;
      if (!row) return undefined;
      const tenant = toTenant({ id: row.tenant_id, settings: row.t_settings, created_at: row.t_created_at, updated_at: row.t_updated_at });
      return { ...toTenantKey(row), tenant };
    },
  };
}
