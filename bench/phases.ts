import type { Client, Connection } from '@temporalio/client';
import type { ceilingWorkflow } from './ceilingWorkflow';
import type { ApiClient, Phase } from './ingest';
import { BacklogGate, closedLoop, measuredWindow, nowMs, openLoop, rateIn } from './load';
import type { Options } from './options';
import { summarize, type Summary } from './percentiles';
import type { ReceiverClient } from '../test/helpers/receiverClient';
import { newSecret, benchWebhookClient, signedPost } from './signedPost';
import { machineCpuSeconds } from '../test/helpers/procstat';
import { spawnTs, type Proc } from '../test/helpers/processes';

/** One measurement each. Every phase waits for its own deliveries before the next one starts. */

export interface AcceptedEvent {
  id: string;
  workflowId: string;
  phase: Phase;
  /** The receiver paths it must reach: one per matching endpoint. */
  paths: string[];
}

export interface Ctx {
  opts: Options;
  runId: string;
  receiver: ReceiverClient;
  api: ApiClient;
  client: Client;
  connection: Connection;
  /** postgres: the cluster's PostgreSQL (0 on the dev server, whose SQLite is in its process); worker: every worker process. */
  procs: { server: Proc; postgres: { cpuSeconds(): number }; worker: Proc; api: Proc; receiver: Proc };
  /** Every event the API accepted (2xx), and every refusal by status (0: no answer). */
  accepted: AcceptedEvent[];
  refused: Record<string, number>;
  /** The phase's endpoint paths on the receiver. */
  paths: Record<Phase, string[]>;
  log: (msg: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The ceiling worker (ceilingWorker.ts), its own process like the service's worker. */
async function startCeilingWorker(env: Record<string, string>, logDir: string): Promise<Proc> {
  const proc = spawnTs('ceiling-worker', 'bench/ceilingWorker.ts', [], env, logDir, true);
  await proc.waitFor(/ceiling worker running/, 180_000);
  return proc;
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** CPU seconds of each process so far (the bench's own included), to difference over a window. */
export type CpuSnapshot = Record<'server' | 'postgres' | 'worker' | 'api' | 'receiver' | 'bench' | 'machine_busy' | 'machine_iowait', number>;
export function cpuSnapshot(ctx: Ctx): CpuSnapshot {
  const self = process.cpuUsage();
  const machine = machineCpuSeconds();
  return {
    machine_busy: machine.busy,
    machine_iowait: machine.iowait,
    server: ctx.procs.server.cpuSeconds(),
    postgres: ctx.procs.postgres.cpuSeconds(),
    worker: ctx.procs.worker.cpuSeconds(),
    api: ctx.procs.api.cpuSeconds(),
    receiver: ctx.procs.receiver.cpuSeconds(),
    bench: (self.user + self.system) / 1e6,
  };
}

/** Waits until `expected` distinct deliveries arrived under `prefix`, or `drainMs` passed. */
export async function drain(ctx: Ctx, prefix: string, expected: number): Promise<{ received: number; waitedMs: number }> {
  const started = Date.now();
  let received = await ctx.receiver.count(prefix);
  while (received < expected && Date.now() - started < ctx.opts.drainMs) {
    await sleep(100);
    received = await ctx.receiver.count(prefix);
  }
  return { received, waitedMs: Date.now() - started };
}

/** 1. The project's outbound client straight to the receiver: the most deliveries/s this machine's HTTP allows. */
export async function httpCeiling(ctx: Ctx): Promise<{ per_s: number; ok: number; failed: number; window_s: number }> {
  const http = benchWebhookClient();
  const secret = newSecret();
  const path = '/ceiling/http';
  await ctx.receiver.checkSignatures(path, secret);
  try {
    const r = await closedLoop({
      concurrency: ctx.opts.httpConcurrency,
      durationMs: ctx.opts.durationMs.http,
      maxOps: ctx.opts.maxOps,
      op: async (i) => (await signedPost(http, ctx.receiver.url + path, secret, `h-${ctx.runId}-${i}`)).ok,
    });
    const w = measuredWindow(r, ctx.opts.warmupMs, r.endedAtMs);
    return { per_s: round(rateIn(r.completions, w.fromMs, w.toMs)), ok: r.ok, failed: r.failed, window_s: round((w.toMs - w.fromMs) / 1000, 2) };
  } finally {
    await http.close();
  }
}

/** 2. A bare workflow with one activity making the same POST, on the same server: Temporal's floor here. */
/** The bare workflow's worker on its own task queue, posting to `path` on the receiver (signatures checked). */
async function ceilingWorker(ctx: Ctx, env: Record<string, string>, logDir: string, taskQueue: string, path: string): Promise<Proc> {
  const secret = newSecret();
  await ctx.receiver.checkSignatures(path, secret);
  return startCeilingWorker(
    { ...env, BENCH_TASK_QUEUE: taskQueue, BENCH_RECEIVER_URL: ctx.receiver.url + path, BENCH_SECRET: secret },
    logDir,
  );
}

export async function temporalCeiling(
  ctx: Ctx,
  env: Record<string, string>,
  logDir: string,
): Promise<{ per_s: number; ok: number; failed: number; window_s: number; workflowIds: string[]; cpu_s_per_workflow: { server: number; postgres: number; worker: number } }> {
  const taskQueue = `bench-ceiling-${ctx.runId}`;
  const worker = await ceilingWorker(ctx, env, logDir, taskQueue, '/ceiling/temporal');
  try {
    const workflowIds: string[] = [];
    const cpu = () => ({ server: ctx.procs.server.cpuSeconds(), postgres: ctx.procs.postgres.cpuSeconds(), worker: worker.cpuSeconds() });
    const cpuAtLoopStart = cpu();
    let cpuAtWarmup: ReturnType<typeof cpu> | undefined;
    let cpuAtStop = cpuAtLoopStart;
    const warmupTimer = setTimeout(() => (cpuAtWarmup = cpu()), ctx.opts.warmupMs);
    const r = await closedLoop({
      concurrency: ctx.opts.temporalConcurrency,
      durationMs: ctx.opts.durationMs.temporal,
      maxOps: ctx.opts.maxOps,
      onStop: () => (cpuAtStop = cpu()),
      op: async (i) => {
        const workflowId = `ceiling-${ctx.runId}-${i}`;
        try {
          await ctx.client.workflow.execute<typeof ceilingWorkflow>('ceilingWorkflow', { taskQueue, workflowId, args: [workflowId] });
          workflowIds.push(workflowId);
          return true;
        } catch {
          return false;
        }
      },
    });
    clearTimeout(warmupTimer);
    if (r.byCount) cpuAtStop = cpu();
    const w = measuredWindow(r, ctx.opts.warmupMs, r.endedAtMs);
    const inWindow = r.completions.filter((t) => t >= w.fromMs && t <= w.toMs).length;
    // CPU over the same window as the rate (a tiny run without a warm-up: the whole loop).
    const base = w.fromMs > r.startedAtMs && cpuAtWarmup ? cpuAtWarmup : cpuAtLoopStart;
    const per = (a: number, b: number) => (inWindow > 0 ? round((a - b) / inWindow, 5) : 0);
    const cpuPerWorkflow = { server: per(cpuAtStop.server, base.server), postgres: per(cpuAtStop.postgres, base.postgres), worker: per(cpuAtStop.worker, base.worker) };
    return {
      per_s: round(inWindow / Math.max(0.001, (w.toMs - w.fromMs) / 1000)),
      ok: r.ok,
      failed: r.failed,
      window_s: round((w.toMs - w.fromMs) / 1000, 2),
      workflowIds,
      cpu_s_per_workflow: cpuPerWorkflow,
    };
  } finally {
    await worker.stop();
  }
}

export interface ClosedIngestResult {
  deliveries_per_s: number;
  events_per_s: number;
  ingest_per_s: number;
  accepted: number;
  refused: number;
  window_s: number;
  deliveries_in_window: number;
  /** CPU seconds used by each process over the window (and by the whole machine). */
  cpu_s: CpuSnapshot;
  /** Cores busy on average over the window: all of them, ours, others' (other programs on the machine), and waiting on disk. */
  cores: { busy: number; ours: number; others: number; iowait: number };
  drained: { received: number; expected: number; waitedMs: number };
}

/**
 * 3 and 4. A closed loop on `POST /v1/events` (bounded in flight, and bounded in backlog by the
 * gate), measuring what the receiver got per second over the window.
 */
export async function closedIngest(ctx: Ctx, phase: 'e2e' | 'fanout' | 'many'): Promise<ClosedIngestResult> {
  const paths = ctx.paths[phase];
  const prefix = `/hooks/${phase}/`;
  const gate = new BacklogGate(ctx.opts.backlogCap, () => ctx.receiver.count(prefix));
  let accepted = 0;
  let refused = 0;
  const acks: number[] = [];
  const cpuAtLoopStart = cpuSnapshot(ctx);
  let cpuAtWarmup: CpuSnapshot | undefined;
  let cpuAtStop = cpuAtLoopStart;
  const warmupTimer = setTimeout(() => (cpuAtWarmup = cpuSnapshot(ctx)), ctx.opts.warmupMs);
  gate.start();
  const r = await closedLoop({
    concurrency: ctx.opts.ingestConcurrency,
    durationMs: ctx.opts.durationMs[phase === 'many' ? 'e2e' : phase],
    maxOps: ctx.opts.maxOps,
    gate: () => gate.acquire(paths.length),
    onStop: () => (cpuAtStop = cpuSnapshot(ctx)),
    op: async (i) => {
      const id = `b-${phase}-${ctx.runId}-${i}`;
      const res = await ctx.api.postEvent(id, phase);
      if (res.status >= 200 && res.status < 300 && res.workflowId) {
        ctx.accepted.push({ id, workflowId: res.workflowId, phase, paths });
        accepted++;
        acks.push(nowMs());
        return true;
      }
      ctx.refused[res.status] = (ctx.refused[res.status] ?? 0) + 1;
      gate.cancel(paths.length);
      refused++;
      return false;
    },
  });
  gate.stop();
  clearTimeout(warmupTimer);
  const expected = accepted * paths.length;
  const drained = await drain(ctx, prefix, expected);
  // A run stopped by its count is measured until its last delivery: CPU too, so up to here.
  if (r.byCount) cpuAtStop = cpuSnapshot(ctx);
  const arrivals = await ctx.receiver.arrivals(prefix);
  const deliveryTimes = Object.values(arrivals).flatMap((ids) => Object.values(ids));
  const w = measuredWindow(r, ctx.opts.warmupMs, deliveryTimes.reduce((a, b) => Math.max(a, b), 0));
  // CPU over the same window as the rate (when the warm-up was skipped: the whole loop).
  const base = w.fromMs > r.startedAtMs && cpuAtWarmup ? cpuAtWarmup : cpuAtLoopStart;
  // An event counts when its last delivery arrived: all of its endpoints have it.
  const eventDone = new Map<string, { n: number; last: number }>();
  for (const ids of Object.values(arrivals)) {
    for (const [id, t] of Object.entries(ids)) {
      const e = eventDone.get(id) ?? { n: 0, last: 0 };
      e.n++;
      e.last = Math.max(e.last, t);
      eventDone.set(id, e);
    }
  }
  const eventTimes = [...eventDone.values()].filter((e) => e.n === paths.length).map((e) => e.last);
  const windowS = (w.toMs - w.fromMs) / 1000;
  const inWindow = deliveryTimes.filter((t) => t >= w.fromMs && t <= w.toMs).length;
  const cpu = Object.fromEntries(Object.entries(cpuAtStop).map(([k, v]) => [k, round(v - base[k as keyof CpuSnapshot], 3)])) as CpuSnapshot;
  const ours = cpu.server + cpu.postgres + cpu.worker + cpu.api + cpu.receiver + cpu.bench;
  const perS = (x: number) => round(x / Math.max(0.001, windowS), 2);
  return {
    deliveries_per_s: round(inWindow / Math.max(0.001, windowS)),
    events_per_s: round(rateIn(eventTimes, w.fromMs, w.toMs)),
    ingest_per_s: round(rateIn(acks, w.fromMs, w.toMs)),
    accepted,
    refused,
    window_s: round(windowS, 2),
    deliveries_in_window: inWindow,
    cpu_s: cpu,
    cores: { busy: perS(cpu.machine_busy), ours: perS(ours), others: perS(Math.max(0, cpu.machine_busy - ours)), iowait: perS(cpu.machine_iowait) },
    drained: { ...drained, expected },
  };
}

export interface OpenLoopResult {
  rate_per_s: number;
  sent: number;
  accepted: number;
  ingest: Summary;
  first_attempt: Summary;
  /** Accepted in this phase but not received by the end of its drain. */
  undelivered: number;
  /** How late the sender itself started a request, at worst (it should be a few ms). */
  max_send_lag_ms: number;
}

/** 5. Requests on a fixed schedule; latencies from the scheduled send time. */
export async function openLoopPhase(ctx: Ctx, phase: 'open50' | 'open80', ratePerS: number): Promise<OpenLoopResult> {
  const paths = ctx.paths[phase];
  const prefix = `/hooks/${phase}/`;
  const scheduledById = new Map<string, number>();
  const ingest: number[] = [];
  const r = await openLoop({
    ratePerS,
    durationMs: ctx.opts.durationMs.open,
    maxOps: ctx.opts.maxOps,
    op: async (i, scheduledMs) => {
      const id = `b-${phase}-${ctx.runId}-${i}`;
      const res = await ctx.api.postEvent(id, phase);
      const ackMs = nowMs();
      if (res.status >= 200 && res.status < 300 && res.workflowId) {
        ctx.accepted.push({ id, workflowId: res.workflowId, phase, paths });
        scheduledById.set(id, scheduledMs);
        ingest.push(ackMs - scheduledMs);
      } else {
        ctx.refused[res.status] = (ctx.refused[res.status] ?? 0) + 1;
      }
    },
  });
  await drain(ctx, prefix, scheduledById.size * paths.length);
  const arrivals = await ctx.receiver.arrivals(prefix);
  const firstAttempt: number[] = [];
  let undelivered = 0;
  for (const [id, scheduledMs] of scheduledById) {
    const times = paths.map((p) => arrivals[p]?.[id]).filter((t): t is number => t !== undefined);
    if (times.length < paths.length) undelivered++;
    for (const t of times) firstAttempt.push(t - scheduledMs);
  }
  return {
    rate_per_s: round(ratePerS, 2),
    sent: r.sent,
    accepted: scheduledById.size,
    ingest: summarize(ingest),
    first_attempt: summarize(firstAttempt),
    undelivered,
    max_send_lag_ms: round(r.maxLagMs),
  };
}

/**
 * 5b. The reference for first_attempt: the bare ceiling workflow, started straight on Temporal (no
 * API, no matching, no store) on the same fixed schedule, timed from the scheduled start to the
 * receiver's arrival. What Temporal alone takes on this machine; the service cannot beat it.
 */
export async function bareFirstAttempt(
  ctx: Ctx,
  env: Record<string, string>,
  logDir: string,
  ratePerS: number,
): Promise<{ rate_per_s: number; started: number; first_attempt: Summary; undelivered: number }> {
  const taskQueue = `bench-bare-latency-${ctx.runId}`;
  const path = '/ceiling/latency';
  const worker = await ceilingWorker(ctx, env, logDir, taskQueue, path);
  try {
    const scheduledById = new Map<string, number>();
    await openLoop({
      ratePerS,
      durationMs: ctx.opts.durationMs.open,
      maxOps: ctx.opts.maxOps,
      op: async (i, scheduledMs) => {
        const workflowId = `bare-${ctx.runId}-${i}`;
        await ctx.client.workflow.start<typeof ceilingWorkflow>('ceilingWorkflow', { taskQueue, workflowId, args: [workflowId] });
        scheduledById.set(workflowId, scheduledMs);
      },
    });
    await drain(ctx, path, scheduledById.size);
    const arrivals = (await ctx.receiver.arrivals(path))[path] ?? {};
    const firstAttempt: number[] = [];
    for (const [id, scheduledMs] of scheduledById) if (arrivals[id] !== undefined) firstAttempt.push(arrivals[id] - scheduledMs);
    return {
      rate_per_s: round(ratePerS, 2),
      started: scheduledById.size,
      first_attempt: summarize(firstAttempt),
      undelivered: scheduledById.size - firstAttempt.length,
    };
  } finally {
    await worker.stop();
  }
}

/** 6. History events and state transitions per delivery, from describe() of finished workflows. */
export async function historyCost(
  ctx: Ctx,
  workflowIds: string[],
  deliveriesPerWorkflow: number,
): Promise<{ sampled: number; history_events_per_delivery: number; state_transitions_per_delivery: number }> {
  const n = Math.min(ctx.opts.costSample, workflowIds.length);
  // Evenly spread over the phase, not just its first workflows.
  const sample = Array.from({ length: n }, (_, k) => workflowIds[Math.floor((k * workflowIds.length) / n)]);
  let history = 0;
  let transitions = 0;
  let sampled = 0;
  for (const workflowId of sample) {
    // The raw gRPC answer: no payload is decoded, so the bench needs no payload key.
    const res = await ctx.connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    const info = res.workflowExecutionInfo;
    if (!info || Number(info.status) !== 2) continue; // only COMPLETED runs: their counts are final
    history += Number(info.historyLength ?? 0);
    transitions += Number(info.stateTransitionCount ?? 0);
    sampled++;
  }
  const per = (total: number) => (sampled > 0 ? round(total / sampled / deliveriesPerWorkflow, 2) : 0);
  return { sampled, history_events_per_delivery: per(history), state_transitions_per_delivery: per(transitions) };
}
