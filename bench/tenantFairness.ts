import { Pool } from 'undici';
import { callCompletedEvent } from './ingest';
import { closedLoop, openLoop } from './load';
import { summarize, type Summary } from './percentiles';
import type { Ctx } from './phases';

/**
 * `npm run bench -- --tenants`: does one tenant's flood delay another tenant's events? A flooding
 * tenant posts as fast as it can (a backlog builds on the shared task queue) while a quiet tenant
 * posts a few events a second; the quiet tenant's first-attempt latency is measured twice: as a
 * tenant of its own (its own fairness key), and, for reference, with the same events posted in
 * the flooding tenant (one key for both, as without tenants).
 */

export interface TenantRound {
  flood_sent: number;
  flood_accepted: number;
  quiet_sent: number;
  /** The quiet events' first attempt, from their scheduled send (ms). */
  quiet_first_attempt: Summary;
  quiet_undelivered: number;
}

export interface TenantFairnessResult {
  flood_concurrency: number;
  quiet_rate_per_s: number;
  duration_ms: number;
  own_tenant: TenantRound;
  same_tenant: TenantRound;
}

const QUIET_RATE = 2;
const FLOOD_CONCURRENCY = 32;

export async function tenantFairness(ctx: Ctx, apiUrl: string): Promise<TenantFairnessResult> {
  const pool = new Pool(apiUrl, { connections: FLOOD_CONCURRENCY + 4, keepAliveTimeout: 30_000 });
  const post = async (path: string, body: unknown, tenant?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(tenant ? { 'x-tenant-id': tenant } : {}) };
    const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };
  const flood = `bench-flood-${ctx.runId}`;
  const quiet = `bench-quiet-${ctx.runId}`;
  const endpoint = async (tenant: string, phase: string) => {
    const path = `/hooks/${phase}/1`;
    const res = await post('/v1/endpoints', {
      id: `bench-${phase}-${ctx.runId}`,
      url: ctx.receiver.url + path,
      eventTypes: ['call_completed'],
      filter: { 'data.metadata.phase': phase },
      retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 5_000 },
    }, tenant);
    if (res.status !== 201) throw new Error(`creating the ${phase} endpoint: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    await ctx.receiver.checkSignatures(path, res.json.secret);
    return path;
  };

  try {
    for (const id of [flood, quiet]) {
      const res = await post('/v1/tenants', { id, name: id });
      if (res.status !== 201) throw new Error(`creating tenant ${id}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    }
    await endpoint(flood, `tflood-${ctx.runId}`);
    const ownPath = await endpoint(quiet, `tquiet-${ctx.runId}`);
    const samePath = await endpoint(flood, `tsame-${ctx.runId}`);

    const floodPhase = `tflood-${ctx.runId}`;
    const floodPath = `/hooks/${floodPhase}/1`;
    /** The flood's deliveries arrive on one path across both rounds. */
    let floodBefore = 0;
    const round = async (name: string, quietTenant: string, quietPhase: string, quietPath: string): Promise<TenantRound> => {
      let floodSent = 0;
      let floodAccepted = 0;
      const scheduled = new Map<string, number>();
      const durationMs = ctx.opts.durationMs.open;
      const flooding = closedLoop({
        concurrency: FLOOD_CONCURRENCY,
        durationMs,
        maxOps: ctx.opts.maxOps,
        op: async (i) => {
          floodSent++;
          const id = `b-${name}-flood-${ctx.runId}-${i}`;
          const res = await post('/v1/events', callCompletedEvent(id, { phase: floodPhase }), flood).catch(() => ({ status: 0 }));
          if (res.status >= 200 && res.status < 300) floodAccepted++;
          return res.status >= 200 && res.status < 300;
        },
      });
      // The quiet tenant starts once the flood has had a moment to build a backlog.
      await new Promise((r) => setTimeout(r, Math.min(3_000, durationMs / 5)));
      const quietLoop = await openLoop({
        ratePerS: QUIET_RATE,
        durationMs: durationMs - Math.min(3_000, durationMs / 5),
        maxOps: ctx.opts.maxOps,
        op: async (i, scheduledMs) => {
          const id = `b-${name}-quiet-${ctx.runId}-${i}`;
          const res = await post('/v1/events', callCompletedEvent(id, { phase: quietPhase }), quietTenant).catch(() => ({ status: 0 }));
          if (res.status >= 200 && res.status < 300) scheduled.set(id, scheduledMs);
        },
      });
      await flooding;
      // Both tenants' deliveries of this round, before the next round starts.
      const deadline = Date.now() + ctx.opts.drainMs;
      while (Date.now() < deadline && (await ctx.receiver.count(quietPath)) < scheduled.size) await new Promise((r) => setTimeout(r, 200));
      floodBefore += floodAccepted;
      while (Date.now() < deadline && (await ctx.receiver.count(floodPath)) < floodBefore) await new Promise((r) => setTimeout(r, 200));
      const arrivals = (await ctx.receiver.arrivals(quietPath))[quietPath] ?? {};
      const latencies = [...scheduled].flatMap(([id, at]) => (arrivals[id] === undefined ? [] : [arrivals[id] - at]));
      return {
        flood_sent: floodSent,
        flood_accepted: floodAccepted,
        quiet_sent: quietLoop.sent,
        quiet_first_attempt: summarize(latencies),
        quiet_undelivered: scheduled.size - latencies.length,
      };
    };
    ctx.log(`    own tenant: the quiet tenant's events under its own fairness key`);
    const own = await round('own', quiet, `tquiet-${ctx.runId}`, ownPath);
    ctx.log(`    quiet first attempt p50 ${own.quiet_first_attempt.p50} ms, p99 ${own.quiet_first_attempt.p99} ms (flood ${own.flood_accepted} events)`);
    ctx.log(`    same tenant: the same events posted in the flooding tenant (one key for both)`);
    const same = await round('same', flood, `tsame-${ctx.runId}`, samePath);
    ctx.log(`    quiet first attempt p50 ${same.quiet_first_attempt.p50} ms, p99 ${same.quiet_first_attempt.p99} ms (flood ${same.flood_accepted} events)`);
    return { flood_concurrency: FLOOD_CONCURRENCY, quiet_rate_per_s: QUIET_RATE, duration_ms: ctx.opts.durationMs.open, own_tenant: own, same_tenant: same };
  } finally {
    await pool.close();
  }
}
