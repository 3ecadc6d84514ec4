import type Database from 'better-sqlite3';
import type { Store } from '../store';
import { admittedValues, toCallContext, type CallContextRow } from '../callContextRows';

/** The call context: values captured per call, and their purge with the attempt log's retention. */
export function createSqliteCallContext(db: Database.Database): Pick<Store, 'saveCallContext' | 'getCallContext' | 'purgeCallContext'> {
  const stmt = {
    names: db.prepare('SELECT name FROM call_context WHERE call_id = ?'),
    upsert: db.prepare(
      `INSERT INTO call_context (call_id, name, value, updated_at) VALUES (@callId, @name, @value, @at)
       ON CONFLICT (call_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    get: db.prepare('SELECT name, value FROM call_context WHERE call_id = ? ORDER BY name'),
    // A call's context goes as a whole, once its last capture is past the retention.
    purge: db.prepare(
      'DELETE FROM call_context WHERE call_id IN (SELECT call_id FROM call_context GROUP BY call_id HAVING MAX(updated_at) < ?)',
    ),
  };
  // IMMEDIATE: the count of names and the writes see one state, whichever process captures.
  const save = db.transaction((callId: string, values: Parameters<Store['saveCallContext']>[1], at: string) => {
    const held = new Set((stmt.names.all(callId) as { name: string }[]).map((row) => row.name));
    for (const { name, value } of admittedValues(held, values)) stmt.upsert.run({ callId, name, value, at });
  });
  return {
    async saveCallContext(callId, values, at) {
      save.immediate(callId, values, at.toISOString());
    },
    async getCallContext(callId) {
      return toCallContext(stmt.get.all(callId) as CallContextRow[]);
    },
    async purgeCallContext(before) {
      return stmt.purge.run(before.toISOString()).changes;
    },
  };
}
