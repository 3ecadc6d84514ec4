import type Database from 'better-sqlite3';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';

interface AuditRow {
  id: number;
  at: string;
  key_id: string;
  action: string;
  target: string;
  details: string | null;
}

/** The audit log of management actions. */
export function createSqliteAudit(db: Database.Database): Pick<Store, 'recordAudit' | 'listAudit'> {
  const stmt = {
    recordAudit: db.prepare(
      'INSERT INTO audit (at, key_id, action, target, details, tenant_id) VALUES (@at, @keyId, @action, @target, @details, @tenant) RETURNING id',
    ),
    listAudit: db.prepare('SELECT * FROM audit WHERE id < @before AND (@tenant IS NULL OR tenant_id = @tenant) ORDER BY id DESC LIMIT @limit'),
  };
  return {
    async recordAudit(entry, tenantId = DEFAULT_TENANT_ID) {
      const details = entry.details === undefined ? null : JSON.stringify(entry.details);
      const row = stmt.recordAudit.get({ ...entry, details, tenant: tenantId }) as { id: number };
      return { id: row.id, ...entry };
    },
    async listAudit({ limit, before, tenantId }) {
      const rows = stmt.listAudit.all({ before: before ?? Number.MAX_SAFE_INTEGER, limit, tenant: tenantId ?? null }) as AuditRow[];
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        keyId: row.key_id,
        action: row.action,
        target: row.target,
        ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
      }));
    },
  };
}
