import fs from 'node:fs';
import path from 'node:path';
import type { Options } from './options';
import type { Summary } from './percentiles';
import type { OpenLoopResult } from './phases';
import { ROOT } from '../test/helpers/processes';

/** The result's shape (the JSON file), and its rendering as a table for stdout and bench/README.md. */


export interface BenchResult {
  ok: boolean;
  mode: 'quick' | 'full';
  topology?: string;
  started_at: string;
  duration_s: number;
  machine: { nproc: number; cpu_model: string; memory_gib: number; platform: string; kernel: string; node: string; loadavg_at_start: number[] };
  versions: Record<string, string>;
  setup: Record<string, unknown>;
  http_ceiling: number;
  temporal_ceiling: number;
  e2e: number;
  ratio_e2e_over_temporal: number;
  fanout: { events_per_s: number; deliveries_per_s: number; endpoints_per_event: number };
  open_loop: { '50': OpenLoopResult & { bare_workflow?: { first_attempt: Summary } }; '80': OpenLoopResult };
  cost: {
    history_events_per_delivery: number;
    state_transitions_per_delivery: number;
    cpu_s_per_delivery: { server: number; postgres: number; worker: number; api: number; receiver: number; bench: number };
    worker_peak_rss_mb: number;
    cores_during_e2e: { busy: number; ours: number; others: number; iowait: number };
    [more: string]: unknown;
  };
  ledger: { accepted: number; delivered: number; lost: number; duplicates: number; [more: string]: unknown };
  details: Record<string, unknown>;
  /** Per phase: cores that programs other than the bench and its stack kept busy. */
  other_programs_cores: Record<string, number>;
  problems: string[];
  /** Not failures, but reasons to distrust the figures (a busy machine). */
  warnings: string[];
}

/** What ran, in words: the JSON's `topology` and the table's heading. */
export function topologyOf(o: Pick<Options, 'cluster' | 'workers' | 'singleProcess'>): string {
  if (o.cluster) return `cluster: multi-service server and store on PostgreSQL, API and ${o.workers} worker process${o.workers === 1 ? '' : 'es'}`;
  return o.singleProcess ? 'single process: API and worker together, eager workflow start' : 'separate processes: API, worker';
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ms = (s: Summary) => `${fmt(s.p50)}, ${fmt(s.p99)}, ${fmt(s.p999)}`;

function ceilingCpu(c: BenchResult['cost']): string {
  const cpu = (c.temporal_ceiling as { cpu_s_per_workflow?: { server: number; postgres?: number; worker: number } } | undefined)?.cpu_s_per_workflow;
  return cpu ? `${fmt(cpu.server * 1000, 2)}, ${fmt((cpu.postgres ?? 0) * 1000, 2)}, ${fmt(cpu.worker * 1000, 2)}` : 'n/a';
}

function idleRow(idle: Record<string, number> | undefined): string {
  if (!idle || !('server' in idle)) return 'n/a';
  return [idle.server, idle.postgres, idle.worker, idle.api].map((x) => fmt(x ?? 0, 3)).join(', ');
}

export function formatTable(r: BenchResult): string {
  const rows: Array<[string, string]> = [
    ['http_ceiling (deliveries/s)', fmt(r.http_ceiling)],
    ['temporal_ceiling (workflows/s)', fmt(r.temporal_ceiling)],
    ['e2e (deliveries/s)', fmt(r.e2e)],
    ['ratio e2e / temporal_ceiling', fmt(r.ratio_e2e_over_temporal, 2)],
    [`fanout x${r.fanout.endpoints_per_event}: events/s, deliveries/s`, `${fmt(r.fanout.events_per_s)}, ${fmt(r.fanout.deliveries_per_s)}`],
  ];
  for (const load of ['50', '80'] as const) {
    const o = r.open_loop[load];
    rows.push([`open ${load}% (${fmt(o.rate_per_s)}/s): ingest ms p50, p99, p999`, ms(o.ingest)]);
    rows.push([`open ${load}%: first_attempt ms p50, p99, p999`, ms(o.first_attempt)]);
  }
  const bare = r.open_loop['50'].bare_workflow;
  if (bare) rows.push(['open 50%, bare workflow: first_attempt ms p50, p99, p999', ms(bare.first_attempt)]);
  const c = r.cost;
  rows.push(
    ['history events per delivery', fmt(c.history_events_per_delivery, 2)],
    ['state transitions per delivery', fmt(c.state_transitions_per_delivery, 2)],
    [
      'CPU ms per delivery: server, postgres, worker, api',
      [c.cpu_s_per_delivery.server, c.cpu_s_per_delivery.postgres ?? 0, c.cpu_s_per_delivery.worker, c.cpu_s_per_delivery.api].map((x) => fmt(x * 1000, 2)).join(', '),
    ],
    ['ceiling CPU ms per workflow: server, postgres, worker', ceilingCpu(c)],
    ['worker peak RSS (MiB)', fmt(c.worker_peak_rss_mb)],
    [
      'cores busy during e2e: ours, others, iowait',
      `${fmt(c.cores_during_e2e.ours, 2)}, ${fmt(c.cores_during_e2e.others, 2)}, ${fmt(c.cores_during_e2e.iowait, 2)}`,
    ],
    ['idle cores: server, postgres, workers, api', idleRow(c.idle_cores as Record<string, number> | undefined)],
    [
      'ledger: accepted, delivered, lost, duplicates',
      `${r.ledger.accepted}, ${r.ledger.delivered}, ${r.ledger.lost}, ${r.ledger.duplicates}`,
    ],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  const m = r.machine;
  const shape = r.topology?.startsWith('single') ? ', single process' : r.topology?.startsWith('cluster') ? `, cluster, ${String(c.worker_processes)} worker(s)` : '';
  const head = `callback-events bench (${r.mode}${shape}, ${fmt(r.duration_s, 0)} s): ${m.nproc} cores ${m.cpu_model}, ${fmt(m.memory_gib)} GiB, Node ${m.node}, ${r.versions.temporal_server ? `Temporal server ${r.versions.temporal_server}` : r.versions.temporal_cli}`;
  const lines = [
    head,
    `| ${'measure'.padEnd(width)} | value |`,
    `| ${'-'.repeat(width)} | ----- |`,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`),
    ...r.warnings.map((w) => `warning: ${w}`),
    r.ok ? 'result: OK' : `result: FAILED (${r.problems.join('; ')})`,
  ];
  return lines.join('\n');
}

/** latest.json and a dated copy under bench/results (git-ignored), or only `out` when given. */
export function writeResult(r: BenchResult, out?: string): string[] {
  const text = `${JSON.stringify(r, null, 2)}\n`;
  if (out) {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, text);
    return [out];
  }
  const dir = path.join(ROOT, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = r.started_at.replace(/[:.]/g, '-');
  const files = [path.join(dir, 'latest.json'), path.join(dir, `${stamp}-${r.mode}.json`)];
  for (const f of files) fs.writeFileSync(f, text);
  return files;
}
