import type { Pool } from 'pg';
import { patchTenant } from '../../domain/tenant';
import { CallbackEventsError } from '../../errors';
import { toTenant, toTenantKey, type TenantKeyRow, type TenantMethods, type TenantRow } from '../rows';
import { forgetFlow } from './flow';
import { inTransaction } from './transaction';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** The tenants and their keys (the same rules as ../sqlite/tenants.ts). */
export function createPgTenants(pool: Pool): TenantMethods {
  const get = async (id: string) => {
    const { rows } = await pool.query<TenantRow>('SELECT * FROM tenants WHERE id = $1 AND NOT deleting', [id]);
    return rows[0] && toTenant(rows[0]);
  };
  return {
    async createTenant({ id, settings }) {
      try {
        await pool.query('INSERT INTO tenants (id, settings, created_at, updated_at) VALUES ($1, $2, $3, $3)', [
          id,
          JSON.stringify(settings),
          new Date().toISOString(),
        ]);
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new CallbackEventsError('conflict', `A tenant with id "${id}" already exists.`);
        throw err;
      }
      return (await get(id))!;
    },
    getTenant: get,
    async listTenants() {
      const { rows } = await pool.query<TenantRow>('SELECT * FROM tenants WHERE NOT deleting ORDER BY created_at, id');
      return rows.map(toTenant);
    },
    // Read-modify-write with the row locked, so two patches on two hosts both land.
    async updateTenant(id, patch) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<TenantRow>('SELECT * FROM tenants WHERE id = $1 AND NOT deleting FOR UPDATE', [id]);
        if (!rows[0]) return undefined;
        const { id: _id, createdAt: _c, updatedAt: _u, ...settings } = toTenant(rows[0]);
        const { rows: updated } = await client.query<TenantRow>(
          'UPDATE tenants SET settings = $2, updated_at = $3 WHERE id = $1 RETURNING *',
          [id, JSON.stringify(patchTenant(settings, patch)), new Date().toISOString()],
        );
        return toTenant(updated[0]);
      });
    },
    async beginTenantDeletion(id) {
      return inTransaction(pool, async (client) => {
        const hidden = await client.query('UPDATE tenants SET deleting = true WHERE id = $1 AND NOT deleting', [id]);
        if ((hidden.rowCount ?? 0) === 0) return false;
        await client.query('DELETE FROM tenant_keys WHERE tenant_id = $1', [id]);
        return true;
      });
    },
    async purgeTenant(id) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ id: string }>('DELETE FROM endpoints WHERE tenant_id = $1 RETURNING id', [id]);
        for (const row of rows) await forgetFlow(client, row.id);
        await client.query('DELETE FROM endpoint_subscriptions WHERE tenant_id = $1', [id]);
        const attempts = (await client.query('DELETE FROM attempts WHERE tenant_id = $1', [id])).rowCount ?? 0;
        await client.query('DELETE FROM call_context WHERE tenant_id = $1', [id]);
        await client.query('DELETE FROM referenced_links WHERE tenant_id = $1', [id]);
        await client.query('DELETE FROM tenant_keys WHERE tenant_id = $1', [id]);
        await client.query('DELETE FROM tenants WHERE id = $1 AND deleting', [id]);
        return { endpoints: rows.length, attempts };
      });
    },
    async createTenantKey({ id, tenantId, role, label, hash }) {
      const now = new Date().toISOString();
      await pool.query('INSERT INTO tenant_keys (id, tenant_id, role, label, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        id,
        tenantId,
        role,
        label ?? null,
        hash,
        now,
      ]);
      return toTenantKey({ id, tenant_id: tenantId, role, label: label ?? null, created_at: now });
    },
    async listTenantKeys(tenantId) {
      const { rows } = await pool.query<TenantKeyRow>('SELECT * FROM tenant_keys WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);
      return rows.map(toTenantKey);
    },
    async deleteTenantKey(tenantId, keyId) {
      return ((await pool.query('DELETE FROM tenant_keys WHERE tenant_id = $1 AND id = $2', [tenantId, keyId])).rowCount ?? 0) > 0;
    },
    async findTenantKey(hash) {
      const { rows } = await pool.query<TenantKeyRow & { t_settings: string; t_created_at: string; t_updated_at: string }>(
        `SELECT k.*, t.settings AS t_settings, t.created_at AS t_created_at, t.updated_at AS t_updated_at
         FROM tenant_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = $1 AND NOT t.deleting`,
        [hash],
      );
      const row = rows[0];
      if (!row) return undefined;
      const tenant = toTenant({ id: row.tenant_id, settings: row.t_settings, created_at: row.t_created_at, updated_at: row.t_updated_at });
      return { ...toTenantKey(row), tenant };
    },
  };
}
