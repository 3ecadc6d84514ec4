import type { Pool } from 'pg';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';

interface AuditRow {
  id: string;
  at: string;
  key_id: string;
  action: string;
  target: string;
  details: string | null;
}

/** The audit log of management actions. `id` is BIGSERIAL, which node-postgres answers as a string. */
export function createPgAudit(pool: Pool): Pick<Store, 'recordAudit' | 'listAudit'> {
  return {
    async recordAudit(entry, tenantId = DEFAULT_TENANT_ID) {
      const details = entry.details === undefined ? null : JSON.stringify(entry.details);
      const { rows } = await pool.query<{ id: string }>(
        'INSERT INTO audit (at, key_id, action, target, details, tenant_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [entry.at, entry.keyId, entry.action, entry.target, details, tenantId],
      );
      return { id: Number(rows[0].id), ...entry };
    },
    async listAudit({ limit, before, tenantId }) {
      const { rows } = await pool.query<AuditRow>(
        'SELECT * FROM audit WHERE id < $1 AND ($3::text IS NULL OR tenant_id = $3) ORDER BY id DESC LIMIT $2',
        [before ?? Number.MAX_SAFE_INTEGER, limit, tenantId ?? null],
      );
      return rows.map((row) => ({
        id: Number(row.id),
        at: row.at,
        keyId: row.key_id,
        action: row.action,
        target: row.target,
        ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
      }));
    },
  };
}
