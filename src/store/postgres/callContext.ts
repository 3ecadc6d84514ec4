import type { Pool } from 'pg';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';
import { admittedValues, toCallContext, type CallContextRow } from '../callContextRows';
import { inTransaction } from './transaction';

/** The first key of the two-key advisory lock a call's captures queue on (the second: the call id's hash). */
const CALL_CONTEXT_LOCK = 0x63_63_74_78; // "cctx"

/** The call context: values captured per call, and their purge with the attempt log's retention. */
export function createPgCallContext(pool: Pool): Pick<Store, 'saveCallContext' | 'getCallContext' | 'purgeCallContext'> {
  return {
    async saveCallContext(callId, values, at, tenantId = DEFAULT_TENANT_ID) {
      // Two captures of one call at once (two endpoints answering) count its names one after the other.
      await inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CALL_CONTEXT_LOCK, `${tenantId}~${callId}`]);
        const { rows } = await client.query<{ name: string }>('SELECT name FROM call_context WHERE tenant_id = $1 AND call_id = $2', [
          tenantId,
          callId,
        ]);
        for (const { name, value } of admittedValues(new Set(rows.map((row) => row.name)), values)) {
          await client.query(
            `INSERT INTO call_context (tenant_id, call_id, name, value, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, call_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
            [tenantId, callId, name, value, at.toISOString()],
          );
        }
      });
    },
    async getCallContext(callId, tenantId = DEFAULT_TENANT_ID) {
      const { rows } = await pool.query<CallContextRow>('SELECT name, value FROM call_context WHERE tenant_id = $1 AND call_id = $2 ORDER BY name', [
        tenantId,
        callId,
      ]);
      return toCallContext(rows);
    },
    async purgeCallContext(before) {
      // A call's context goes as a whole, once its last capture is past the retention.
      const result = await pool.query(
        `DELETE FROM call_context WHERE (tenant_id, call_id) IN
           (SELECT tenant_id, call_id FROM call_context GROUP BY tenant_id, call_id HAVING MAX(updated_at) < $1)`,
        [before.toISOString()],
      );
      return result.rowCount ?? 0;
    },
  };
}
