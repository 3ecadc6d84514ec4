import type Database from 'better-sqlite3';
import type { Store } from '../store';
import { toAttempt, type AttemptRow } from '../rows';


/** The attempt log, and its purge once rows pass the retention. */
export function createSqliteAttempts(db: Database.Database): Pick<Store, 'recordAttempt' | 'listAttempts' | 'countAttempts' | 'purgeAttempts'> {
  const stmt = {
    recordAttempt: db.prepare(
      `INSERT OR REPLACE INTO attempts (delivery_id, attempt, target, url, started_at, duration_ms, status_code, failure, response_body)
       VALUES (@deliveryId, @attempt, @target, @url, @startedAt, @durationMs, @statusCode, @failure, @responseBody)`,
    ),
    listAttempts: db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt'),
    purgeAttempts: db.prepare('DELETE FROM attempts WHERE started_at < ?'),
  };
  return {
    async recordAttempt(record) {
      stmt.recordAttempt.run({
        ...record,
        statusCode: record.statusCode ?? null,
        failure: record.failure ?? null,
        responseBody: record.responseBody ?? null,
      });
    },
    async listAttempts(deliveryId) {
      return (stmt.listAttempts.all(deliveryId) as AttemptRow[]).map(toAttempt);
    },
    async countAttempts(deliveryIds) {
      const counts = new Map<string, number>();
      if (deliveryIds.length === 0) return counts;
      const rows = db
        .prepare(
          `SELECT delivery_id, COUNT(*) AS n FROM attempts WHERE delivery_id IN (${deliveryIds.map(() => '?').join(',')}) GROUP BY delivery_id`,
        )
        .all(...deliveryIds) as { delivery_id: string; n: number }[];
      for (const row of rows) counts.set(row.delivery_id, row.n);
      return counts;
    },
    async purgeAttempts(before) {
      return stmt.purgeAttempts.run(before.toISOString()).changes;
    },
  };
}
