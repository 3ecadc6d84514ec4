import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { FlowLease, FlowLimits, Store } from '../store';
import { afterRelease, bucketNow, effectiveConcurrency, refill, TOKEN_EPSILON, WAITER_SLACK_MS, waitEstimate } from '../flowControl';
import { inTransaction } from './transaction';

/**
 * Flow control in PostgreSQL, for every worker on every host (the arithmetic in ../flowControl.ts,
 * as the SQLite store uses it). Each acquire and release is one transaction that first locks the
 * endpoint's `flow` row (`SELECT … FOR UPDATE`, the row made by an upsert when missing): the
 * transactions of one endpoint run one after the other, so two processes never both take the last
 * token or the last concurrency slot. Epoch-ms columns are BIGINT, answered as strings: Number().
 */

interface FlowRow {
  tokens: number;
  refilled_at: string;
  concurrency: number;
  decreased_at: string;
  avg_hold_ms: number;
}

type FlowMethods = Pick<Store, 'acquireFlowSlot' | 'releaseFlowSlot' | 'flowState'>;

async function count(client: Pool | PoolClient, table: 'flow_leases' | 'flow_waiters', endpointId: string, now: number): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table} WHERE endpoint_id = $1 AND expires_at > $2`, [
    endpointId,
    now,
  ]);
  return rows[0].n;
}

/** Locks the endpoint's flow row, made first (a full bucket, the maximum concurrency) when missing. */
async function lockRow(client: PoolClient, endpointId: string, limits: FlowLimits, now: number): Promise<FlowRow> {
  await client.query(
    `INSERT INTO flow (endpoint_id, tokens, refilled_at, concurrency) VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint_id) DO NOTHING`,
    [endpointId, limits.rate?.burst ?? 0, now, limits.maxConcurrency],
  );
  const { rows } = await client.query<FlowRow>('SELECT * FROM flow WHERE endpoint_id = $1 FOR UPDATE', [endpointId]);
  return rows[0];
}

/** Drops an endpoint's flow state (it was deleted), inside the caller's transaction. */
export async function forgetFlow(client: PoolClient, endpointId: string): Promise<void> {
  for (const table of ['flow', 'flow_leases', 'flow_waiters']) {
    await client.query(`DELETE FROM ${table} WHERE endpoint_id = $1`, [endpointId]);
  }
}

export function createPgFlow(pool: Pool): FlowMethods {
  const saveBucket = (client: PoolClient, endpointId: string, tokens: number, now: number) =>
    client.query('UPDATE flow SET tokens = $2, refilled_at = $3 WHERE endpoint_id = $1', [endpointId, tokens, now]);

  return {
    async acquireFlowSlot(endpointId, waiterId, limits, asked = Date.now()) {
      return inTransaction(pool, async (client) => {
        const flow = await lockRow(client, endpointId, limits, asked);
        const now = bucketNow(asked, Number(flow.refilled_at));
        await client.query('DELETE FROM flow_leases WHERE endpoint_id = $1 AND expires_at <= $2', [endpointId, now]);
        await client.query('DELETE FROM flow_waiters WHERE endpoint_id = $1 AND expires_at <= $2', [endpointId, now]);
        const limit = effectiveConcurrency(flow.concurrency, limits.maxConcurrency);
        const inFlight = await count(client, 'flow_leases', endpointId, now);
        const tokens = limits.rate ? refill(flow.tokens, Number(flow.refilled_at), now, limits.rate) : 0;
        const rateOk = !limits.rate || tokens >= 1 - TOKEN_EPSILON;
        const concurrencyOk = inFlight < limit;

        if (rateOk && concurrencyOk) {
          if (limits.rate) await saveBucket(client, endpointId, tokens - 1, now);
          const lease: FlowLease = { id: randomUUID(), acquiredAt: now };
          await client.query('INSERT INTO flow_leases (id, endpoint_id, acquired_at, expires_at) VALUES ($1, $2, $3, $4)', [
            lease.id,
            endpointId,
            now,
            now + limits.leaseMs,
          ]);
          await client.query('DELETE FROM flow_waiters WHERE waiter_id = $1', [waiterId]);
          return { granted: true as const, lease };
        }

        // No slot: wait, spread out behind the waiters already there (../flowControl.ts says how long).
        const returning = (await client.query('SELECT 1 FROM flow_waiters WHERE waiter_id = $1 AND expires_at > $2', [waiterId, now])).rowCount! > 0;
        let lastWake: number | null = null;
        if (!returning && !rateOk) {
          const { rows } = await client.query<{ w: string | null }>(
            'SELECT MAX(wake_at) AS w FROM flow_waiters WHERE endpoint_id = $1 AND waiter_id <> $2 AND expires_at > $3',
            [endpointId, waiterId, now],
          );
          lastWake = rows[0].w === null ? null : Number(rows[0].w);
        }
        const waitMs = waitEstimate({
          now,
          rate: limits.rate,
          tokens,
          rateOk,
          concurrencyOk,
          lastWake,
          waiters: (await count(client, 'flow_waiters', endpointId, now)) + (returning ? 0 : 1),
          limit,
          avgHoldMs: flow.avg_hold_ms,
        });
        if (limits.rate) await saveBucket(client, endpointId, tokens, now);
        await client.query(
          `INSERT INTO flow_waiters (waiter_id, endpoint_id, wake_at, expires_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (waiter_id) DO UPDATE SET endpoint_id = excluded.endpoint_id, wake_at = excluded.wake_at, expires_at = excluded.expires_at`,
          [waiterId, endpointId, now + waitMs, now + waitMs + WAITER_SLACK_MS],
        );
        return { granted: false as const, waitMs, reason: rateOk ? ('concurrency' as const) : ('rate' as const) };
      });
    },

    async releaseFlowSlot(endpointId, lease, signal, maxConcurrency, now = Date.now()) {
      await inTransaction(pool, async (client) => {
        const { rows } = await client.query<FlowRow>('SELECT * FROM flow WHERE endpoint_id = $1 FOR UPDATE', [endpointId]);
        await client.query('DELETE FROM flow_leases WHERE id = $1', [lease.id]);
        const flow = rows[0];
        if (!flow) return;
        const next = afterRelease(
          { concurrency: flow.concurrency, decreasedAt: Number(flow.decreased_at), avgHoldMs: flow.avg_hold_ms },
          lease.acquiredAt,
          signal,
          maxConcurrency,
          now,
        );
        await client.query('UPDATE flow SET concurrency = $2, decreased_at = $3, avg_hold_ms = $4 WHERE endpoint_id = $1', [
          endpointId,
          next.concurrency,
          next.decreasedAt,
          next.avgHoldMs,
        ]);
      });
    },

    async flowState(endpointId, maxConcurrency, now = Date.now()) {
      // Three reads without a lock: a report, not a decision.
      const { rows } = await pool.query<{ concurrency: number }>('SELECT concurrency FROM flow WHERE endpoint_id = $1', [endpointId]);
      return {
        concurrency: effectiveConcurrency(rows[0]?.concurrency, maxConcurrency),
        inFlight: await count(pool, 'flow_leases', endpointId, now),
        queued: await count(pool, 'flow_waiters', endpointId, now),
      };
    },
  };
}
