import type Database from 'better-sqlite3';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';
import { admittedValues, toCallContext, type CallContextRow } from '../callContextRows';

/** The call context: values captured per call, and their purge with the attempt log's retention. */
export function createSqliteCallContext(db: Database.Database): Pick<Store, 'saveCallContext' | 'getCallContext' | 'purgeCallContext'> {
  const stmt = {
    names: db.prepare('SELECT name FROM call_context WHERE tenant_id = ? AND call_id = ?'),
    upsert: db.prepare(
      `INSERT INTO call_context (tenant_id, call_id, name, value, updated_at) VALUES (@tenantId, @callId, @name, @value, @at)
       ON CONFLICT (tenant_id, call_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    get: db.prepare('SELECT name, value FROM call_context WHERE tenant_id = ? AND call_id = ? ORDER BY name'),
    // A call's context goes as a whole, once its last capture is past the retention.
    purge: db.prepare(
      `DELETE FROM call_context WHERE (tenant_id, call_id) IN
         (SELECT tenant_id, call_id FROM call_context GROUP BY tenant_id, call_id HAVING MAX(updated_at) < ?)`,
    ),
  };
  // IMMEDIATE: the count of names and the writes see one state, whichever process captures.
  const save = db.transaction((tenantId: string, callId: string, values: Parameters<Store['saveCallContext']>[1], at: string) => {
    const held = new Set((stmt.names.all(tenantId, callId) as { name: string }[]).map((row) => row.name));
    for (const { name, value } of admittedValues(held, values)) stmt.upsert.run({ tenantId, callId, name, value, at });
  });
  return {
    async saveCallContext(callId, values, at, tenantId = DEFAULT_TENANT_ID) {
      save.immediate(tenantId, callId, values, at.toISOString());
    },
    async getCallContext(callId, tenantId = DEFAULT_TENANT_ID) {
      return toCallContext(stmt.get.all(tenantId, callId) as CallContextRow[]);
    },
    async purgeCallContext(before) {
      return stmt.purge.run(before.toISOString()).changes;
    },
  };
}
