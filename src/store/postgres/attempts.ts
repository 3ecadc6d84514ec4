import type { Pool } from 'pg';
import type { Store } from '../store';
import { endpointOfDelivery, toAttempt, type AttemptRow } from '../rows';


/** The attempt log, and its purge once rows pass the retention. `started_at` is ISO-8601 UTC, which sorts as time. */
export function createPgAttempts(pool: Pool): Pick<Store, 'recordAttempt' | 'listAttempts' | 'countAttempts' | 'purgeAttempts'> {
  return {
    async recordAttempt(r) {
      // An attempt recorded again (an activity retried after its record) replaces the first.
      await pool.query(
        `INSERT INTO attempts (delivery_id, attempt, target, url, started_at, duration_ms, status_code, failure, response_body, tenant_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE((SELECT tenant_id FROM endpoints WHERE id = $10), 'default'))
         ON CONFLICT (delivery_id, attempt) DO UPDATE SET target = excluded.target, url = excluded.url,
           started_at = excluded.started_at, duration_ms = excluded.duration_ms, status_code = excluded.status_code,
           failure = excluded.failure, response_body = excluded.response_body`,
        [r.deliveryId, r.attempt, r.target, r.url, r.startedAt, Math.round(r.durationMs), r.statusCode ?? null, r.failure ?? null, r.responseBody ?? null, endpointOfDelivery(r.deliveryId)],
      );
    },
    async listAttempts(deliveryId, tenantId) {
      const { rows } = await pool.query<AttemptRow>(
        'SELECT * FROM attempts WHERE delivery_id = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY attempt',
        [deliveryId, tenantId ?? null],
      );
      return rows.map(toAttempt);
    },
    async countAttempts(deliveryIds, tenantId) {
      const counts = new Map<string, number>();
      if (deliveryIds.length === 0) return counts;
      const { rows } = await pool.query<{ delivery_id: string; n: number }>(
        `SELECT delivery_id, COUNT(*)::int AS n FROM attempts WHERE delivery_id = ANY($1::text[])
         AND ($2::text IS NULL OR tenant_id = $2) GROUP BY delivery_id`,
        [deliveryIds, tenantId ?? null],
      );
      for (const row of rows) counts.set(row.delivery_id, row.n);
      return counts;
    },
    async purgeAttempts(before) {
      return (await pool.query('DELETE FROM attempts WHERE started_at < $1', [before.toISOString()])).rowCount ?? 0;
    },
  };
}
