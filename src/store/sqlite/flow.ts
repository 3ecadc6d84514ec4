import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FlowGrant, FlowLease, FlowLimits, FlowSignal, FlowState, Store } from '../store';
import { afterRelease, bucketNow, effectiveConcurrency, refill, TOKEN_EPSILON, WAITER_SLACK_MS, waitEstimate } from '../flowControl';

/**
 * Flow control in SQLite (tables from the flow migration in migrations.ts, the arithmetic in
 * ../flowControl.ts): per endpoint a token bucket and the effective concurrency (AIMD), leases
 * for requests in flight, and waiters.
 * Every call is one `BEGIN IMMEDIATE` transaction, so worker processes sharing the file (each
 * with its own connection) see one bucket. The PostgreSQL store (../postgres/flow.ts) does the
 * same with `SELECT … FOR UPDATE` on the endpoint's row.
 */

interface FlowRow {
  endpoint_id: string;
  tokens: number;
  refilled_at: number;
  concurrency: number;
  decreased_at: number;
  avg_hold_ms: number;
}

type FlowMethods = Pick<Store, 'acquireFlowSlot' | 'releaseFlowSlot' | 'flowState'> & {
  /** Drops an endpoint's flow state (it was deleted): an endpoint made again with its id starts afresh. */
  forget(endpointId: string): void;
};

export function createSqliteFlow(db: Database.Database): FlowMethods {
  const stmt = {
    get: db.prepare('SELECT * FROM flow WHERE endpoint_id = ?'),
    insert: db.prepare(
      `INSERT INTO flow (endpoint_id, tokens, refilled_at, concurrency, decreased_at, avg_hold_ms)
       VALUES (@endpoint_id, @tokens, @refilled_at, @concurrency, 0, 0)`,
    ),
    saveBucket: db.prepare('UPDATE flow SET tokens = @tokens, refilled_at = @refilled_at WHERE endpoint_id = @endpoint_id'),
    saveRelease: db.prepare(
      `UPDATE flow SET concurrency = @concurrency, decreased_at = @decreased_at, avg_hold_ms = @avg_hold_ms
       WHERE endpoint_id = @endpoint_id`,
    ),
    expireLeases: db.prepare('DELETE FROM flow_leases WHERE endpoint_id = ? AND expires_at <= ?'),
    countLeases: db.prepare('SELECT COUNT(*) AS n FROM flow_leases WHERE endpoint_id = ? AND expires_at > ?'),
    insertLease: db.prepare('INSERT INTO flow_leases (id, endpoint_id, acquired_at, expires_at) VALUES (?, ?, ?, ?)'),
    deleteLease: db.prepare('DELETE FROM flow_leases WHERE id = ?'),
    expireWaiters: db.prepare('DELETE FROM flow_waiters WHERE endpoint_id = ? AND expires_at <= ?'),
    countWaiters: db.prepare('SELECT COUNT(*) AS n FROM flow_waiters WHERE endpoint_id = ? AND expires_at > ?'),
    getWaiter: db.prepare('SELECT wake_at FROM flow_waiters WHERE waiter_id = ? AND expires_at > ?'),
    lastWake: db.prepare('SELECT MAX(wake_at) AS w FROM flow_waiters WHERE endpoint_id = ? AND waiter_id != ? AND expires_at > ?'),
    upsertWaiter: db.prepare(
      `INSERT INTO flow_waiters (waiter_id, endpoint_id, wake_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (waiter_id) DO UPDATE SET endpoint_id = excluded.endpoint_id, wake_at = excluded.wake_at, expires_at = excluded.expires_at`,
    ),
    deleteWaiter: db.prepare('DELETE FROM flow_waiters WHERE waiter_id = ?'),
    forget: [
      db.prepare('DELETE FROM flow WHERE endpoint_id = ?'),
      db.prepare('DELETE FROM flow_leases WHERE endpoint_id = ?'),
      db.prepare('DELETE FROM flow_waiters WHERE endpoint_id = ?'),
    ],
  };
  const count = (s: Database.Statement, ...args: unknown[]) => (s.get(...args) as { n: number }).n;

  function row(endpointId: string, limits: { maxConcurrency: number; rate?: { burst: number } }, now: number): FlowRow {
    const existing = stmt.get.get(endpointId) as FlowRow | undefined;
    if (existing) return existing;
    const fresh = { endpoint_id: endpointId, tokens: limits.rate?.burst ?? 0, refilled_at: now, concurrency: limits.maxConcurrency };
    stmt.insert.run(fresh);
    return { ...fresh, decreased_at: 0, avg_hold_ms: 0 };
  }

  const acquire = db.transaction((endpointId: string, waiterId: string, limits: FlowLimits, asked: number): FlowGrant => {
    const flow = row(endpointId, limits, asked);
    const now = bucketNow(asked, flow.refilled_at);
    stmt.expireLeases.run(endpointId, now);
    stmt.expireWaiters.run(endpointId, now);
    const limit = effectiveConcurrency(flow.concurrency, limits.maxConcurrency);
    const inFlight = count(stmt.countLeases, endpointId, now);
    const tokens = limits.rate ? refill(flow.tokens, flow.refilled_at, now, limits.rate) : 0;
    const rateOk = !limits.rate || tokens >= 1 - TOKEN_EPSILON;
    const concurrencyOk = inFlight < limit;

    if (rateOk && concurrencyOk) {
      if (limits.rate) stmt.saveBucket.run({ endpoint_id: endpointId, tokens: tokens - 1, refilled_at: now });
      const lease: FlowLease = { id: randomUUID(), acquiredAt: now };
      stmt.insertLease.run(lease.id, endpointId, now, now + limits.leaseMs);
      stmt.deleteWaiter.run(waiterId);
      return { granted: true, lease };
    }

    // No slot: wait, spread out behind the waiters already there (../flowControl.ts says how long).
    const returning = stmt.getWaiter.get(waiterId, now) !== undefined;
    const last = returning || rateOk ? null : (stmt.lastWake.get(endpointId, waiterId, now) as { w: number | null }).w;
    const waitMs = waitEstimate({
      now,
      rate: limits.rate,
      tokens,
      rateOk,
      concurrencyOk,
      lastWake: last,
      waiters: count(stmt.countWaiters, endpointId, now) + (returning ? 0 : 1),
      limit,
      avgHoldMs: flow.avg_hold_ms,
    });
    if (limits.rate) stmt.saveBucket.run({ endpoint_id: endpointId, tokens, refilled_at: now });
    stmt.upsertWaiter.run(waiterId, endpointId, now + waitMs, now + waitMs + WAITER_SLACK_MS);
    return { granted: false, waitMs, reason: rateOk ? 'concurrency' : 'rate' };
  });

  const release = db.transaction((endpointId: string, lease: FlowLease, signal: FlowSignal, maxConcurrency: number, now: number) => {
    stmt.deleteLease.run(lease.id);
    const flow = stmt.get.get(endpointId) as FlowRow | undefined;
    if (!flow) return;
    const next = afterRelease(
      { concurrency: flow.concurrency, decreasedAt: flow.decreased_at, avgHoldMs: flow.avg_hold_ms },
      lease.acquiredAt,
      signal,
      maxConcurrency,
      now,
    );
    stmt.saveRelease.run({ endpoint_id: endpointId, concurrency: next.concurrency, decreased_at: next.decreasedAt, avg_hold_ms: next.avgHoldMs });
  });

  const state = db.transaction((endpointId: string, maxConcurrency: number, now: number): FlowState => {
    const flow = stmt.get.get(endpointId) as FlowRow | undefined;
    return {
      concurrency: effectiveConcurrency(flow?.concurrency, maxConcurrency),
      inFlight: count(stmt.countLeases, endpointId, now),
      queued: count(stmt.countWaiters, endpointId, now),
    };
  });

  const forget = db.transaction((endpointId: string) => {
    for (const s of stmt.forget) s.run(endpointId);
  });

  return {
    forget(endpointId) {
      forget.immediate(endpointId);
    },
    async acquireFlowSlot(endpointId, waiterId, limits, now = Date.now()) {
      return acquire.immediate(endpointId, waiterId, limits, now);
    },
    async releaseFlowSlot(endpointId, lease, signal, maxConcurrency, now = Date.now()) {
      release.immediate(endpointId, lease, signal, maxConcurrency, now);
    },
    async flowState(endpointId, maxConcurrency, now = Date.now()) {
      return state(endpointId, maxConcurrency, now);
    },
  };
}

