/**
 * `npm run bench [-- --quick]`: starts the real stack (Temporal dev server with npm start's flags,
 * the service's worker and API as their own processes, a receiver process; with `--cluster`, the
 * multi-service server on PostgreSQL, the store on PostgreSQL and `--workers N` worker processes:
 * stacks.ts), measures each process group's CPU idle and then under load, prints a
 * table and writes bench/results/latest.json (plus a dated copy). Exit code 1 when an accepted
 * event was lost, a signature did not verify, or a phase could not run.
 *
 * Order: http_ceiling, temporal_ceiling, e2e, fanout, open loop at 50 % and 80 % of e2e, then a
 * final drain, the ledger and the history cost. Each phase waits for its own deliveries, so no
 * phase measures the previous one's backlog.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { processEnvironment } from '../src/config';
import { apiClient, type Phase } from './ingest';
import { parseOptions, type Options } from './options';
import { bareFirstAttempt, closedIngest, drain, historyCost, httpCeiling, openLoopPhase, temporalCeiling, type Ctx } from './phases';
import { idleCores } from './idle';
import { tenantFairness } from './tenantFairness';
import { formatTable, topologyOf, writeResult, type BenchResult } from './report';
import { clusterServerVersion, startBenchStack } from './stacks';
import { machineCpuSeconds, treeCpuSeconds } from '../test/helpers/procstat';
import { ROOT, stopAll, stopStackOnExit } from '../test/helpers/processes';
import { startReceiverProcess } from '../test/helpers/receiverClient';
import { loadToolSettings } from '../test/helpers/settings';

const FANOUT = 5;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function quietly(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function versions(cliPath: string): Record<string, string> {
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const commit = quietly('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = quietly('git', ['status', '--porcelain', '--untracked-files=no']);
  return {
    callback_events: own.version,
    git_commit: commit + (dirty && dirty !== 'unknown' ? ' (with uncommitted changes)' : ''),
    node: process.version,
    temporal_cli: quietly(cliPath, ['--version']),
    temporalio_sdk: versionOf('@temporalio/worker'),
    undici: versionOf('undici'),
    tsx: versionOf('tsx'),
  };
}

function machine(): BenchResult['machine'] {
  return {
    nproc: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory_gib: round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    loadavg_at_start: os.loadavg().map((n) => round(n, 2)),
  };
}

/** Endpoints through the API, one per receiver path, each filtered to its phase's events. */
async function createEndpoints(ctx: Pick<Ctx, 'api' | 'receiver' | 'runId'>): Promise<Record<Phase, string[]>> {
  const layout: Record<Phase, number> = { e2e: 1, fanout: FANOUT, open50: 1, open80: 1 };
  const paths = {} as Record<Phase, string[]>;
  for (const [phase, count] of Object.entries(layout) as Array<[Phase, number]>) {
    paths[phase] = [];
    for (let k = 1; k <= count; k++) {
      const p = `/hooks/${phase}/${k}`;
      const created = await ctx.api.createEndpoint({
        id: `bench-${phase}-${k}`,
        url: ctx.receiver.url + p,
        eventTypes: ['call_completed'],
        filter: { 'data.metadata.phase': phase },
        // The receiver always answers 200; should an attempt fail anyway, retry within the drain
        // period instead of after the default 5 s, 30 s, 3 min...
        retry: { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 5_000 },
      });
      await ctx.receiver.checkSignatures(p, created.secret);
      paths[phase].push(p);
    }
  }
  return paths;
}

/**
 * Runs one phase and notes how many cores other programs kept busy meanwhile: the machine's busy
 * CPU minus that of this process and everything it started (all of them are its descendants).
 * The bench cannot stop a neighbour's compile, but it can say its figures were disturbed.
 */
async function measured<T>(noise: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const at = () => ({ t: Date.now(), machine: machineCpuSeconds().busy, ours: treeCpuSeconds(process.pid) });
  const before = at();
  const value = await fn();
  const after = at();
  const seconds = Math.max(0.001, (after.t - before.t) / 1000);
  noise[name] = round(Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / seconds, 2);
  return value;
}

/** Waits (bounded) until the machine has been nearly idle for 5 s: a shared machine's neighbours skew every figure. */
async function waitQuiet(maxMs: number, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + maxMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    const a = machineCpuSeconds().busy;
    await new Promise((r) => setTimeout(r, 1_000));
    const busy = machineCpuSeconds().busy - a;
    if (busy < 0.25) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince >= 5_000) return;
    } else quietSince = 0;
  }
  log(`the machine did not go quiet within ${maxMs / 1000} s; starting anyway`);
}

async function main(): Promise<number> {
  const opts: Options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = Date.now();
  const log = (msg: string) => process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  const runId = randomBytes(3).toString('hex');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bench-'));
  const settings = loadToolSettings(processEnvironment());
  const { baseEnv } = settings;
  const problems: string[] = [];
  log(`mode ${opts.quick ? 'quick' : 'full'}, ${topologyOf(opts)}, DATA_DIR ${dataDir}`);
  if (opts.waitQuietMs > 0) {
    log(`waiting up to ${opts.waitQuietMs / 1000} s for a quiet machine`);
    await waitQuiet(opts.waitQuietMs, log);
  }
  // The run's own duration leaves the wait for a quiet machine out.
  const runStart = Date.now();

  let connection: Connection | undefined;
  let api: ReturnType<typeof apiClient> | undefined;
  try {
    const { proc: receiverProc, client: receiver } = await startReceiverProcess(baseEnv, dataDir);
    // The per-key ingest limit (default 500/s) would cap the closed loop: the bench measures
    // the pipeline, not the limiter.
    const stack = await startBenchStack(opts, settings, dataDir, 1_000_000, log);
    const { cliPath, worker } = stack;
    const serviceEnv = stack.serviceEnv;
    const server = { proc: stack.server, address: stack.temporalAddress, args: stack.serverArgs };
    const apiProc = stack.api;
    const groups = { server: stack.server, postgres: stack.postgres, worker, api: apiProc };
    let idle: Record<string, number> | undefined;
    if (opts.idleMs > 0) {
      log(`0/6 idle for ${opts.idleMs / 1000} s: each group's CPU with no load`);
      idle = await idleCores({ ...groups, ...Object.fromEntries(stack.workers.map((w, i) => [`worker_${i + 1}`, w])) }, opts.idleMs);
      log(`    ${Object.entries(idle).map(([k, v]) => `${k} ${v}`).join(', ')} cores`);
    }

    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    api = apiClient(stack.apiUrl, 64);
    const ctx: Ctx = {
      opts,
      runId,
      receiver,
      api,
      client,
      connection,
      procs: { server: server.proc, postgres: stack.postgres, worker, api: apiProc, receiver: receiverProc },
      accepted: [],
      refused: {},
      paths: await createEndpoints({ api, receiver, runId }),
      log,
    };

    if (opts.tenants) return await tenantsOnly(ctx, stack.apiUrl, startedAt, log);

    const noise: Record<string, number> = {};
    log('1/6 http_ceiling');
    const http = await measured(noise, 'http_ceiling', () => httpCeiling(ctx));
    log(`    ${http.per_s}/s`);
    log('2/6 temporal_ceiling');
    const temporal = await measured(noise, 'temporal_ceiling', () => temporalCeiling(ctx, { ...baseEnv, TEMPORAL_ADDRESS: server.address }, dataDir));
    log(`    ${temporal.per_s}/s`);
    log('3/6 e2e');
    const e2e = await measured(noise, 'e2e', () => closedIngest(ctx, 'e2e'));
    log(`    ${e2e.deliveries_per_s}/s (ingest ${e2e.ingest_per_s}/s)`);
    log(`4/6 fanout x${FANOUT}`);
    const fanout = await measured(noise, 'fanout', () => closedIngest(ctx, 'fanout'));
    log(`    ${fanout.deliveries_per_s} deliveries/s, ${fanout.events_per_s} events/s`);
    const e2eRate = Math.max(1, e2e.deliveries_per_s);
    log(`5/6 open loop at 50 % (${round(e2eRate * 0.5)}/s)`);
    const open50 = await measured(noise, 'open50', () => openLoopPhase(ctx, 'open50', e2eRate * 0.5));
    log(`    first_attempt p50 ${open50.first_attempt.p50} ms, p99 ${open50.first_attempt.p99} ms`);
    log(`5/6 the bare workflow at the same rate (the first_attempt reference)`);
    const bare50 = await measured(noise, 'bare50', () =>
      bareFirstAttempt(ctx, { ...baseEnv, TEMPORAL_ADDRESS: server.address }, dataDir, e2eRate * 0.5),
    );
    log(`    first_attempt p50 ${bare50.first_attempt.p50} ms, p99 ${bare50.first_attempt.p99} ms`);
    log(`5/6 open loop at 80 % (${round(e2eRate * 0.8)}/s)`);
    const open80 = await measured(noise, 'open80', () => openLoopPhase(ctx, 'open80', e2eRate * 0.8));
    log(`    first_attempt p50 ${open80.first_attempt.p50} ms, p99 ${open80.first_attempt.p99} ms`);

    log('6/6 drain, ledger, cost');
    const expected = ctx.accepted.reduce((n, e) => n + e.paths.length, 0);
    const finalDrain = await drain(ctx, '/hooks/', expected);
    const arrivals = await receiver.arrivals('/hooks/');
    const stats = await receiver.stats();
    let delivered = 0;
    let deliveriesReceived = 0;
    for (const e of ctx.accepted) {
      const got = e.paths.filter((p) => arrivals[p]?.[e.id] !== undefined).length;
      deliveriesReceived += got;
      if (got === e.paths.length) delivered++;
    }
    const hookPaths = Object.entries(stats.byPath).filter(([p]) => p.startsWith('/hooks/'));
    const duplicates = hookPaths.reduce((n, [, s]) => n + s.duplicates, 0);
    const ledger = {
      accepted: ctx.accepted.length,
      delivered,
      lost: ctx.accepted.length - delivered,
      duplicates,
      deliveries_expected: expected,
      deliveries_received: deliveriesReceived,
      refused: ctx.refused,
      invalid_signatures: stats.invalidSignatures,
      unsigned_requests: stats.unsigned,
      drain_waited_ms: finalDrain.waitedMs,
    };
    if (ledger.lost > 0) problems.push(`${ledger.lost} accepted event(s) lost (not delivered within the ${opts.drainMs} ms drain)`);
    if (stats.invalidSignatures > 0) problems.push(`${stats.invalidSignatures} request(s) with an invalid signature`);
    if (ledger.accepted === 0) problems.push('no event was accepted');

    const idsOf = (phase: Phase) => ctx.accepted.filter((e) => e.phase === phase).map((e) => e.workflowId);
    const e2eHistory = await historyCost(ctx, idsOf('e2e'), 1);
    const fanoutHistory = await historyCost(ctx, idsOf('fanout'), FANOUT);
    const ceilingHistory = await historyCost(ctx, temporal.workflowIds, 1);
    const perDelivery = (cpuS: number) => (e2e.deliveries_in_window > 0 ? round(cpuS / e2e.deliveries_in_window, 5) : 0);
    const workerPeak = worker.peakRssMb();
    const workerPeaks = stack.workers.map((w) => w.peakRssMb());

    await api.close();
    api = undefined;
    await connection.close();
    connection = undefined;
    await stopAll();

    const result: BenchResult = {
      ok: problems.length === 0,
      mode: opts.quick ? 'quick' : 'full',
      topology: topologyOf(opts),
      started_at: startedAt.toISOString(),
      duration_s: round((Date.now() - runStart) / 1000),
      machine: machine(),
      versions: { ...versions(cliPath), ...(opts.cluster ? { temporal_server: clusterServerVersion(ROOT) } : {}) },
      setup: {
        options: opts,
        waited_for_quiet_s: round((runStart - t0) / 1000),
        server: { cli: cliPath, args: server.args },
        // The keys (random per run on the cluster) stay out of a file that gets shared.
        service_env: Object.fromEntries(Object.entries(serviceEnv).filter(([k]) => k !== 'PATH' && k !== 'HOME' && !k.endsWith('_KEY'))),
        endpoints: ctx.paths,
      },
      http_ceiling: http.per_s,
      temporal_ceiling: temporal.per_s,
      e2e: e2e.deliveries_per_s,
      ratio_e2e_over_temporal: temporal.per_s > 0 ? round(e2e.deliveries_per_s / temporal.per_s, 3) : 0,
      fanout: { events_per_s: fanout.events_per_s, deliveries_per_s: fanout.deliveries_per_s, endpoints_per_event: FANOUT },
      open_loop: { '50': { ...open50, bare_workflow: bare50 }, '80': open80 },
      cost: {
        history_events_per_delivery: e2eHistory.history_events_per_delivery,
        state_transitions_per_delivery: e2eHistory.state_transitions_per_delivery,
        cpu_s_per_delivery: {
          server: perDelivery(e2e.cpu_s.server),
          postgres: perDelivery(e2e.cpu_s.postgres),
          worker: perDelivery(e2e.cpu_s.worker),
          api: perDelivery(e2e.cpu_s.api),
          receiver: perDelivery(e2e.cpu_s.receiver),
          bench: perDelivery(e2e.cpu_s.bench),
        },
        worker_peak_rss_mb: workerPeak,
        worker_processes: stack.workers.length,
        per_worker_peak_rss_mb: workerPeaks,
        idle_cores: idle ?? {},
        cores_during_e2e: e2e.cores,
        sampled_workflows: e2eHistory.sampled,
        fanout: fanoutHistory,
        temporal_ceiling: { ...ceilingHistory, cpu_s_per_workflow: temporal.cpu_s_per_workflow },
      },
      ledger,
      details: { http_ceiling: http, temporal_ceiling: { ...temporal, workflowIds: undefined }, e2e, fanout },
      other_programs_cores: noise,
      problems,
      warnings: [],
    };
    const disturbed = Object.entries(noise).filter(([, cores]) => cores > 0.25);
    if (disturbed.length > 0) {
      result.warnings.push(`other programs kept cores busy (${disturbed.map(([k, v]) => `${k} ${v}`).join(', ')}): those figures are disturbed`);
    }
    const files = writeResult(result, opts.out);
    process.stdout.write(`${formatTable(result)}\n`);
    log(`wrote ${files.join(', ')}`);
    if (result.ok && !opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    else log(`kept ${dataDir} (logs: bench-*.log, temporal-server.log)`);
    return result.ok ? 0 : 1;
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    log(`kept ${dataDir} (logs: bench-*.log, temporal-server.log)`);
    return 1;
  } finally {
    await api?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await stopAll();
  }
}

/** `--tenants`: the tenants phase alone; its figures go to bench/results/tenants-latest.json (or --out). */
async function tenantsOnly(ctx: Ctx, apiUrl: string, startedAt: Date, log: (msg: string) => void): Promise<number> {
  log('tenants: B alone, then B under tenant A\'s flood');
  const result = { started_at: startedAt.toISOString(), machine: machine(), options: ctx.opts, ...(await tenantFairness(ctx, apiUrl)) };
  const out = ctx.opts.out ?? path.join(ROOT, 'bench/results/tenants-latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const { b_alone: alone, b_under_flood: under } = result;
  const row = (name: string, r: typeof alone) =>
    `| ${name} | ${r.first_attempt.count} | ${r.first_attempt.p50} | ${r.first_attempt.p99} | ${r.first_attempt.max} | ${r.undelivered} | ${r.other_programs_cores} |`;
  process.stdout.write(
    [
      `| tenant B's first attempt | events | p50 ms | p99 ms | max ms | undelivered | other programs' cores |`,
      '| --- | --- | --- | --- | --- | --- | --- |',
      row('B alone', alone),
      row(`B under A's flood (${under.flood_accepted} events, receiver ${result.receiver_delay_ms} ms)`, under),
      '',
      `A's flood: ${under.flood_accepted} accepted in ${under.flood_ingest_ms} ms, all delivered by ${under.flood_backlog_ms} ms (${under.flood_undelivered} undelivered)`,
      '',
      `| where B's first attempt waited | alone p50 ms | under the flood p50 ms | under the flood p99 ms |`,
      '| --- | --- | --- | --- |',
      ...Object.keys(under.hops).map((hop) => `| ${hop} | ${alone.hops[hop]?.p50} | ${under.hops[hop].p50} | ${under.hops[hop].p99} |`),
      '',
      `target: B's p50 under the flood <= 3 x ${alone.first_attempt.p50} + 500 = ${result.target_p50_ms} ms: ${result.target_met ? 'met' : 'NOT met'} (${under.first_attempt.p50} ms)`,
    ].join('\n') + '\n',
  );
  log(`wrote ${out}`);
  const lost = alone.undelivered + under.undelivered + under.flood_undelivered;
  return lost === 0 ? 0 : 1;
}

stopStackOnExit('bench');

main().then((code) => process.exit(code));
