import { serviceEnvPair } from '../test/helpers/serviceEnvArg';

/**
 * Command-line options. `--quick` is a short run (under 3 minutes on 2 cores); the default is
 * longer windows for steadier figures. The small-load flags let a test run the whole thing tiny.
 */

export interface Options {
  quick: boolean;
  /** Each closed loop's first part, not measured: connections, JIT, caches and Temporal's queues settle. */
  warmupMs: number;
  durationMs: { http: number; temporal: number; e2e: number; fanout: number; open: number };
  /** At most this many operations per phase (events, workflows or POSTs). */
  maxOps: number;
  httpConcurrency: number;
  temporalConcurrency: number;
  ingestConcurrency: number;
  /** At most this many deliveries posted but not yet received during a closed loop on ingestion (as many as temporalConcurrency: the same outstanding work). */
  backlogCap: number;
  /** How long to wait for the last deliveries after a phase (and at the end) before calling them lost. */
  drainMs: number;
  /** How many event workflows to describe() for history and state-transition counts. */
  costSample: number;
  /** Write the JSON only here (else bench/results/latest.json and a dated copy). */
  out?: string;
  /** Keep the temporary DATA_DIR (logs, SQLite files) for a post-mortem. */
  keepData: boolean;
  /** Before starting, wait up to this long for other programs to leave the CPU (0: start at once). */
  waitQuietMs: number;
  /**
   * The API and the worker in one process, as `npm start` runs them: the API's client shares the
   * worker's connection, so event workflows start eagerly. CPU of both is counted as the worker's.
   */
  singleProcess: boolean;
  /** On `npm run cluster` (the multi-service server on PostgreSQL) with the store on PostgreSQL. */
  cluster: boolean;
  /** Worker processes (with --cluster; the dev-server run has one). */
  workers: number;
  /** Before the phases, how long to measure each process group's CPU with no load: what a process costs just by running. */
  idleMs: number;
  /** Only the tenants phase (tenantFairness.ts): a quiet tenant's latency under another tenant's flood. */
  tenants: boolean;
  /**
   * Only the many-endpoints phase (manyEndpoints.ts), when above 0: e2e with the bench's endpoints,
   * then again once the store holds this many endpoints (100 tenants), one of them matching.
   */
  endpoints: number;
  /** With --tenants: tenant A's `limits.ingestPerSecond` (absent: none); its producers wait out each 429's Retry-After and post again. */
  floodLimit?: number;
  /** More settings for the service's processes (`--service-env K=V`, repeatable): a knob tried under the bench. */
  serviceEnv: Record<string, string>;
}

const FULL = { idleMs: 10_000, warmupMs: 5_000, durationMs: { http: 15_000, temporal: 40_000, e2e: 60_000, fanout: 40_000, open: 45_000 }, drainMs: 120_000, costSample: 100 };
const QUICK = { idleMs: 5_000, warmupMs: 3_000, durationMs: { http: 6_000, temporal: 20_000, e2e: 25_000, fanout: 15_000, open: 15_000 }, drainMs: 45_000, costSample: 25 };

const USAGE = `usage: tsx bench/run.ts [--quick] [--duration-ms N] [--warmup-ms N] [--events N] [--drain-ms N]
                         [--http-concurrency N] [--temporal-concurrency N] [--ingest-concurrency N]
                         [--backlog N] [--sample N] [--out FILE] [--keep-data] [--wait-quiet-s N] [--single-process]
                         [--cluster [--workers N]] [--idle-ms N] [--tenants [--flood-limit N]] [--endpoints N] [--service-env K=V ...]`;

export function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const base = quick ? QUICK : FULL;
  const o: Options = {
    quick,
    warmupMs: base.warmupMs,
    durationMs: { ...base.durationMs },
    maxOps: 1_000_000,
    httpConcurrency: 64,
    temporalConcurrency: 48,
    ingestConcurrency: 16,
    backlogCap: 48,
    drainMs: base.drainMs,
    costSample: base.costSample,
    keepData: false,
    waitQuietMs: 0,
    singleProcess: false,
    cluster: false,
    workers: 1,
    idleMs: base.idleMs,
    tenants: false,
    endpoints: 0,
    serviceEnv: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--duration-ms': {
        const n = num();
        o.durationMs = { http: n, temporal: n, e2e: n, fanout: n, open: n };
        break;
      }
      case '--warmup-ms': o.warmupMs = num(); break;
      case '--events': o.maxOps = Math.max(1, Math.floor(num())); break;
      case '--drain-ms': o.drainMs = num(); break;
      case '--http-concurrency': o.httpConcurrency = Math.max(1, num()); break;
      case '--temporal-concurrency': o.temporalConcurrency = Math.max(1, num()); break;
      case '--ingest-concurrency': o.ingestConcurrency = Math.max(1, num()); break;
      case '--backlog': o.backlogCap = Math.max(1, num()); break;
      case '--sample': o.costSample = Math.max(1, num()); break;
      case '--out': o.out = argv[++i]; if (!o.out) throw new Error(`--out needs a file\n${USAGE}`); break;
      case '--keep-data': o.keepData = true; break;
      case '--single-process': o.singleProcess = true; break;
      case '--cluster': o.cluster = true; break;
      case '--workers': o.workers = Math.max(1, Math.floor(num())); break;
      case '--idle-ms': o.idleMs = num(); break;
      case '--tenants': o.tenants = true; break;
      case '--endpoints': o.endpoints = Math.floor(num()); break;
      case '--flood-limit': o.floodLimit = num(); break;
      case '--service-env': {
        const pair = serviceEnvPair(argv[++i]);
        if (!pair) throw new Error(`--service-env needs KEY=VALUE\n${USAGE}`);
        o.serviceEnv[pair[0]] = pair[1];
        break;
      }
      case '--wait-quiet-s': o.waitQuietMs = num() * 1000; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (o.workers > 1 && !o.cluster) throw new Error(`--workers needs --cluster (the dev-server run has one worker)\n${USAGE}`);
  if (o.cluster && o.singleProcess) throw new Error(`--cluster runs the API and the workers apart: drop --single-process\n${USAGE}`);
  if (o.endpoints > 0 && (o.workers > 1 || o.singleProcess)) {
    throw new Error(`--endpoints reads the matching time from one worker process's metrics: drop --workers and --single-process\n${USAGE}`);
  }
  if (o.endpoints > 0 && o.endpoints < 100) throw new Error(`--endpoints needs at least 100 (100 tenants)\n${USAGE}`);
  return o;
}
