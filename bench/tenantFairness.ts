import os from 'node:os';
import { Pool } from 'undici';
import { machineCpuSeconds, treeCpuSeconds } from '../test/helpers/procstat';
import { hopBreakdown } from './hops';
import { callCompletedEvent } from './ingest';
import { closedLoop, nowMs } from './load';
import { summarize, type Summary } from './percentiles';
import type { Ctx } from './phases';

/**
 * `npm run bench -- --tenants`, the shape of the tenants issue: does one tenant's flood delay
 * another tenant's events?
 *
 *  1. **B alone**: tenant B posts 1 event a second, nothing else runs: its unloaded first attempt.
 *  2. **B under A's flood**: tenant A posts 1,000 events as fast as the API accepts them (32
 *     producers), to a receiver that answers in 200 ms; meanwhile B posts 1 event a second, until
 *     A's last delivery has arrived (A's backlog is over).
 *
 * First attempt: from B's *scheduled* send to the receiver's first arrival of that webhook-id.
 * Target: B's p50 under the flood ≤ 3 × its p50 alone + 500 ms.
 */

export interface BRound {
  /** B's first attempt from its scheduled send (ms). */
  first_attempt: Summary;
  sent: number;
  undelivered: number;
  /** Each first attempt: [ms from the round's start to its scheduled send, its latency ms], in send order. */
  by_send: Array<[number, number]>;
  /** Where B's first attempts spent their time, hop by hop, from their workflows' histories. */
  hops: Record<string, Summary>;
  /** Cores that programs other than the bench's kept busy during the round (a shared machine). */
  other_programs_cores: number;
}

export interface TenantFairnessResult {
  flood_events: number;
  flood_concurrency: number;
  /** Tenant A's limits.ingestPerSecond, when the run set one (--flood-limit). */
  flood_ingest_limit?: number;
  b_rate_per_s: number;
  receiver_delay_ms: number;
  b_alone: BRound;
  b_under_flood: BRound & {
    flood_accepted: number;
    /** From the flood's first post until the API had accepted the last of A's events. */
    flood_ingest_ms: number;
    /** From the flood's first post until A's last delivery arrived: the backlog B was measured in. */
    flood_backlog_ms: number;
    flood_undelivered: number;
  };
  target_p50_ms: number;
  target_met: boolean;
  loadavg_at_end: number[];
}

export const FLOOD_EVENTS = 1_000;
const FLOOD_CONCURRENCY = 32;
const B_RATE = 1;
const RECEIVER_DELAY_MS = 200;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Cores other programs kept busy while `fn` ran: the machine's busy CPU minus ours. */
async function disturbance<T>(fn: () => Promise<T>): Promise<{ value: T; cores: number }> {
  const at = () => ({ t: Date.now(), machine: machineCpuSeconds().busy, ours: treeCpuSeconds(process.pid) });
  const before = at();
  const value = await fn();
  const after = at();
  const seconds = Math.max(0.001, (after.t - before.t) / 1000);
  return { value, cores: round2(Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / seconds) };
}

export async function tenantFairness(ctx: Ctx, apiUrl: string): Promise<TenantFairnessResult> {
  const pool = new Pool(apiUrl, { connections: FLOOD_CONCURRENCY + 4, keepAliveTimeout: 30_000 });
  const post = async (path: string, body: unknown, tenant?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(tenant ? { 'x-tenant-id': tenant } : {}) };
    const res = await pool.request({ path, method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, retryAfterS: Number(res.headers['retry-after'] ?? 1), json: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };
  /** A's post: over its tenant's ingest limit (429), it waits as told and posts the same event again. */
  const floodPost = async (body: unknown, tenant: string) => {
    for (;;) {
      const res = await post('/v1/events', body, tenant).catch(() => ({ status: 0, retryAfterS: 0 }));
      if (res.status !== 429) return res;
      await sleep(Math.max(0.05, res.retryAfterS) * 1000);
    }
  };
  const accepted = (status: number) => status >= 200 && status < 300;
  const tenantA = `bench-a-${ctx.runId}`;
  const tenantB = `bench-b-${ctx.runId}`;
  /** An endpoint of `tenant` on its own receiver path, answering after RECEIVER_DELAY_MS. */
  const endpoint = async (tenant: string, phase: string) => {
    const path = `/hooks/${phase}/delay-${RECEIVER_DELAY_MS}/1`;
    const res = await post('/v1/endpoints', {
      id: `bench-${phase}`,
      url: ctx.receiver.url + path,
      eventTypes: ['call_completed'],
      filter: { 'data.metadata.phase': phase },
      retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 5_000 },
    }, tenant);
    if (res.status !== 201) throw new Error(`creating the ${phase} endpoint: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    await ctx.receiver.checkSignatures(path, res.json.secret);
    return path;
  };
  const waitFor = async (path: string, count: number, deadline: number) => {
    while (Date.now() < deadline && (await ctx.receiver.count(path)) < count) await sleep(200);
  };

  /**
   * B posts 1 event a second from now on, each at its scheduled time whatever the service does,
   * until `more()` says stop (checked before each); then its deliveries are waited for.
   */
  const bPosts = async (phase: string, path: string, more: (i: number) => boolean): Promise<Omit<BRound, 'other_programs_cores'>> => {
    const scheduled = new Map<string, number>();
    const workflowIds = new Map<string, string>();
    const inFlight: Array<Promise<void>> = [];
    const t0 = nowMs() + 20;
    const sinceStart = (at: number) => Math.round(at - t0);
    for (let i = 0; ; i++) {
      const at = t0 + (i * 1000) / B_RATE;
      await sleep(Math.max(0, at - nowMs()));
      if (!more(i)) break;
      const id = `b-${phase}-${i}`;
      inFlight.push(
        post('/v1/events', callCompletedEvent(id, { phase }), tenantB)
          .then((res) => {
            if (!accepted(res.status)) return;
            scheduled.set(id, at);
            workflowIds.set(id, String(res.json.workflowId));
          })
          .catch(() => undefined),
      );
    }
    await Promise.all(inFlight);
    await waitFor(path, scheduled.size, Date.now() + ctx.opts.drainMs);
    const arrivals = (await ctx.receiver.arrivals(path))[path] ?? {};
    const latencies = [...scheduled].flatMap(([id, at]) => (arrivals[id] === undefined ? [] : [arrivals[id] - at]));
    const traced = [...scheduled].flatMap(([id, at]) => (arrivals[id] === undefined ? [] : [{ workflowId: workflowIds.get(id)!, sentAt: at, arrivedAt: arrivals[id] }]));
    const hops = await hopBreakdown(ctx.client, traced);
    const bySend = traced.map((e): [number, number] => [sinceStart(e.sentAt), Math.round(e.arrivedAt - e.sentAt)]).sort((a, b) => a[0] - b[0]);
    return { first_attempt: summarize(latencies), sent: inFlight.length, undelivered: scheduled.size - latencies.length, by_send: bySend, hops };
  };

  try {
    for (const id of [tenantA, tenantB]) {
      const limits = id === tenantA && ctx.opts.floodLimit !== undefined ? { limits: { ingestPerSecond: ctx.opts.floodLimit } } : {};
      const res = await post('/v1/tenants', { id, name: id, ...limits });
      if (res.status !== 201) throw new Error(`creating tenant ${id}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    }
    const floodPhase = `ta-${ctx.runId}`;
    const alonePhase = `tb-alone-${ctx.runId}`;
    const underPhase = `tb-flood-${ctx.runId}`;
    const floodPath = await endpoint(tenantA, floodPhase);
    const alonePath = await endpoint(tenantB, alonePhase);
    const underPath = await endpoint(tenantB, underPhase);

    const aloneCount = Math.max(1, Math.min(ctx.opts.maxOps, Math.floor((ctx.opts.durationMs.open / 1000) * B_RATE)));
    ctx.log(`    1. B alone: ${aloneCount} events at ${B_RATE}/s`);
    const alone = await disturbance(() => bPosts(alonePhase, alonePath, (i) => i < aloneCount));
    const bAlone: BRound = { ...alone.value, other_programs_cores: alone.cores };
    ctx.log(`       B first attempt p50 ${bAlone.first_attempt.p50} ms, p99 ${bAlone.first_attempt.p99} ms`);

    const floodEvents = Math.min(FLOOD_EVENTS, ctx.opts.maxOps);
    ctx.log(`    2. B under A's flood: A posts ${floodEvents} events (${FLOOD_CONCURRENCY} producers, receiver ${RECEIVER_DELAY_MS} ms), B ${B_RATE}/s until A's backlog is delivered`);
    const under = await disturbance(async () => {
      const started = Date.now();
      let floodAccepted = 0;
      let ingestedAt = 0;
      let backlogOverAt = 0;
      const flood = closedLoop({
        concurrency: FLOOD_CONCURRENCY,
        durationMs: ctx.opts.drainMs,
        maxOps: floodEvents,
        op: async (i) => {
          const res = await floodPost(callCompletedEvent(`a-${floodPhase}-${i}`, { phase: floodPhase }), tenantA);
          if (accepted(res.status)) floodAccepted++;
          return accepted(res.status);
        },
      }).then(() => (ingestedAt = Date.now()));
      // A's backlog lasts until the flood is posted and its last delivery has arrived.
      const backlog = flood.then(async () => {
        await waitFor(floodPath, floodAccepted, Date.now() + ctx.opts.drainMs);
        backlogOverAt = Date.now();
      });
      const b = await bPosts(underPhase, underPath, () => backlogOverAt === 0 && Date.now() - started < ctx.opts.drainMs);
      await backlog;
      const floodDelivered = await ctx.receiver.count(floodPath);
      return { ...b, flood_accepted: floodAccepted, flood_ingest_ms: ingestedAt - started, flood_backlog_ms: backlogOverAt - started, flood_undelivered: floodAccepted - floodDelivered };
    });
    const bUnder = { ...under.value, other_programs_cores: under.cores };
    ctx.log(`       B first attempt p50 ${bUnder.first_attempt.p50} ms, p99 ${bUnder.first_attempt.p99} ms (A: ${bUnder.flood_accepted} accepted in ${bUnder.flood_ingest_ms} ms, delivered by ${bUnder.flood_backlog_ms} ms)`);
    const target = Math.round((3 * bAlone.first_attempt.p50 + 500) * 10) / 10;
    return {
      flood_events: floodEvents,
      flood_concurrency: FLOOD_CONCURRENCY,
      ...(ctx.opts.floodLimit !== undefined ? { flood_ingest_limit: ctx.opts.floodLimit } : {}),
      b_rate_per_s: B_RATE,
      receiver_delay_ms: RECEIVER_DELAY_MS,
      b_alone: bAlone,
      b_under_flood: bUnder,
      target_p50_ms: target,
      target_met: bUnder.first_attempt.count > 0 && bUnder.first_attempt.p50 <= target,
      loadavg_at_end: os.loadavg().map(round2),
    };
  } finally {
    await pool.close();
  }
}
