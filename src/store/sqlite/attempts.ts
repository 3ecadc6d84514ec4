import type Database from 'better-sqlite3';
import type { Store } from '../store';
import { endpointOfDelivery, toAttempt, type AttemptRow } from '../rows';


/** The attempt log, and its purge once rows pass the retention. */
export function createSqliteAttempts(db: Database.Database): Pick<Store, 'recordAttempt' | 'listAttempts' | 'countAttempts' | 'purgeAttempts'> {
  const stmt = {
    recordAttempt: db.prepare(
      `INSERT OR REPLACE INTO attempts (delivery_id, attempt, target, url, started_at, duration_ms, status_code, failure, response_body, tenant_id)
       VALUES (@deliveryId, @attempt, @target, @url, @startedAt, @durationMs, @statusCode, @failure, @responseBody,
               COALESCE((SELECT tenant_id FROM endpoints WHERE id = @endpointId), 'default'))`,
    ),
    listAttempts: db.prepare('SELECT * FROM attempts WHERE delivery_id = @deliveryId AND (@tenant IS NULL OR tenant_id = @tenant) ORDER BY attempt'),
    purgeAttempts: db.prepare('DELETE FROM attempts WHERE started_at < ?'),
  };
  return {
    async recordAttempt(record) {
      stmt.recordAttempt.run({
        ...record,
        statusCode: record.statusCode ?? null,
        failure: record.failure ?? null,
        responseBody: record.responseBody ?? null,
        endpointId: endpointOfDelivery(record.deliveryId),
      });
    },
    async listAttempts(deliveryId, tenantId) {
      return (stmt.listAttempts.all({ deliveryId, tenant: tenantId ?? null }) as AttemptRow[]).map(toAttempt);
    },
    async countAttempts(deliveryIds, tenantId) {
      const counts = new Map<string, number>();
      if (deliveryIds.length === 0) return counts;
      const rows = db
        .prepare(
          `SELECT delivery_id, COUNT(*) AS n FROM attempts WHERE delivery_id IN (${deliveryIds.map(() => '?').join(',')})
           AND (? IS NULL OR tenant_id = ?) GROUP BY delivery_id`,
        )
        .all(...deliveryIds, tenantId ?? null, tenantId ?? null) as { delivery_id: string; n: number }[];
      for (const row of rows) counts.set(row.delivery_id, row.n);
      return counts;
    },
    async purgeAttempts(before) {
      return stmt.purgeAttempts.run(before.toISOString()).changes;
    },
  };
}
