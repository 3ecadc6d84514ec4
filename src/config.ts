import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { CallbackEventsError } from './errors';
import { DEFAULT_WORKER_SLOTS } from './temporal/workerSlots';

/**
 * The service's whole configuration, read from the environment once at start.
 * Nothing else in the code base reads process.env: entry points take the environment from
 * processEnvironment() once and pass the parsed config down (test/unit/configReadOnce.test.ts).
 */

/**
 * The process environment, for an entry point to parse once (loadConfig, the tooling's settings)
 * or for a child process to inherit. A copy: later changes to it are not seen, as a config read once.
 */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

const port = z.coerce.number().int().min(0).max(65535);
/** A port to listen on that must be known in advance (a scrape target): no 0. */
const fixedPort = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((v) => v === 'true' || v === '1');

const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : []));

export type ApiKeyRole = 'admin' | 'ingest';
export interface ApiKey {
  key: string;
  role: ApiKeyRole;
}

/** `ingest:KEY` may only post events; `admin:KEY` or a bare `KEY` may do everything. */
const apiKeys = list.transform((keys) =>
  keys.map((entry): ApiKey => {
    const match = /^(admin|ingest):(.+)$/.exec(entry);
    return match ? { role: match[1] as ApiKeyRole, key: match[2] } : { role: 'admin', key: entry };
  }),
);

/** Base64 of 32 random bytes each; the first encrypts, all decrypt. */
const aesKeys = list.pipe(
  z.array(
    z.string().refine((k) => Buffer.from(k, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(k), {
      message: 'must be base64 of exactly 32 random bytes (openssl rand -base64 32)',
    }),
  ),
);

const cidrs = list.pipe(
  z.array(
    z.string().refine((c) => {
      const [address, bits, extra] = c.split('/');
      const family = net.isIP(address);
      const n = Number(bits);
      return extra === undefined && family !== 0 && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
    }, 'must be CIDR ranges such as 203.0.113.0/24 or 2001:db8::/32'),
  ),
);

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.data'),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('callback-events'),
  CALLBACKS_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
  CALLBACKS_API_KEY: apiKeys,
  CALLBACKS_MASTER_KEY: aesKeys,
  CALLBACKS_PAYLOAD_KEY: aesKeys,
  CALLBACKS_ALLOWED_CIDRS: cidrs,
  CALLBACKS_MAX_EVENT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  CALLBACKS_INGEST_RPS: z.coerce.number().min(1).max(1_000_000).default(500),
  CALLBACKS_ALLOW_PRIVATE_TARGETS: bool.default(false),
  CALLBACKS_ALLOW_HTTP: bool.default(false),
  CALLBACKS_ATTEMPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CALLBACKS_RECOVER_RPS: z.coerce.number().int().min(1).max(1000).default(20),
  CALLBACKS_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, the API as receivers reach it (https://callbacks.example.com)' })
    .refine((u) => !/[?#]/.test(u), 'must have no query or fragment')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a PostgreSQL URL (postgres://user:password@host:5432/database)')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  CALLBACKS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (openssl rand -hex 32)').optional(),
  CALLBACKS_WORKER_METRICS_PORT: fixedPort.optional(),
  CALLBACKS_SDK_METRICS_PORT: fixedPort.optional(),
  CALLBACKS_METRICS_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(15),
  // The OpenTelemetry SDK's own names, so an operator's usual settings work as they do elsewhere.
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, the OTLP/HTTP receiver\'s base (http://otel-collector:4318)' })
    .refine((u) => !/[?#]/.test(u), 'must have no query or fragment')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default('callback-events'),
  CALLBACKS_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(1000).default(DEFAULT_WORKER_SLOTS.workflowTasks),
  CALLBACKS_ACTIVITY_TASK_SLOTS: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_WORKER_SLOTS.activityTasks),
  CALLBACKS_LOCAL_FIRST_ATTEMPT: bool.default(true),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  temporal: {
    /** Unset: `npm start` runs the embedded dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    devServerPort: number;
    devServerUiPort: number;
    cliPath?: string;
    /** The prebuilt workflow bundle (npm run build:workflows), used while it matches the code; else the worker bundles at start. */
    workflowBundlePath: string;
  };
  /** Set: the PostgreSQL store (several processes and hosts); unset: the embedded SQLite store under dataDir. */
  database?: { url: string; poolSize: number };
  /** Production mode refuses unsafe settings at start. */
  production: boolean;
  apiKeys: ApiKey[];
  /** Keys for secrets at rest and for Temporal payloads; empty: generated under DATA_DIR/keys. */
  masterKeys: Buffer[];
  payloadKeys: Buffer[];
  /** Ranges opened to delivery even though they are private (production alternative to allowPrivateTargets). */
  allowedCidrs: string[];
  maxEventBytes: number;
  /** Events a second each API key may post; over it, 429 with Retry-After. */
  ingestRps: number;
  allowPrivateTargets: boolean;
  allowHttp: boolean;
  /** Attempt-log rows older than this are purged by a Temporal Schedule. */
  attemptRetentionDays: number;
  /** Bulk jobs (recover, release) act on at most this many deliveries a second. */
  recoverPerSecond: number;
  /** The API as receivers reach it: reference URLs are `<publicUrl>/v1/references/<token>`. No trailing slash. */
  publicUrl: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Tasks a worker holds at once. What a worker holds it runs in the order it took them; what it
   * leaves on the task queue the server hands out fairly between tenants (docs/tenants.md).
   */
  workerSlots: { workflowTasks: number; activityTasks: number };
  /** New events' plain first attempts run as local activities in their first workflow task (workflows/firstAttempt.ts). */
  localFirstAttempt: boolean;
  metrics: {
    /** Another credential for GET /metrics, beside admin keys: for a scraper that should hold nothing more. */
    token?: string;
    /** A process with a worker serves its own /metrics here (the API's port serves the API's). */
    workerPort?: number;
    /** The Temporal SDK's own Prometheus exporter, in processes with a worker. */
    sdkPort?: number;
    /** How long a gauge read from visibility is reused: at most one count query per gauge per period. */
    visibilityCacheMs: number;
  };
  /** OpenTelemetry traces (docs/tracing.md); absent: no tracer, no interceptors, nothing exported. */
  tracing?: TracingConfig;
}

export interface TracingConfig {
  /** Spans go to `<endpoint>/v1/traces` (OTLP/HTTP, JSON), as the standard variable means. */
  endpoint: string;
  serviceName: string;
}

/** The API's own address, as a process on this host reaches it (a wildcard host is reached on loopback). */
function ownUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set", as shells and compose files write it.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new CallbackEventsError('invalid_config', `Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production) {
    const missing = [
      e.CALLBACKS_API_KEY.length === 0 && 'CALLBACKS_API_KEY',
      e.CALLBACKS_MASTER_KEY.length === 0 && 'CALLBACKS_MASTER_KEY',
      e.CALLBACKS_PAYLOAD_KEY.length === 0 && 'CALLBACKS_PAYLOAD_KEY',
    ].filter(Boolean);
    const problems = missing.map((name) => `${name}: required when NODE_ENV=production`);
    if (e.CALLBACKS_ALLOW_PRIVATE_TARGETS) {
      problems.push('CALLBACKS_ALLOW_PRIVATE_TARGETS: not allowed when NODE_ENV=production (open chosen ranges with CALLBACKS_ALLOWED_CIDRS)');
    }
    if (problems.length > 0) throw new CallbackEventsError('invalid_config', `Invalid configuration: ${problems.join('; ')}`);
  }
  if (e.DATABASE_URL && (e.CALLBACKS_MASTER_KEY.length === 0 || e.CALLBACKS_PAYLOAD_KEY.length === 0)) {
    // Keys generated under DATA_DIR are one host's: another host could not open what this one sealed.
    throw new CallbackEventsError(
      'invalid_config',
      'Invalid configuration: DATABASE_URL is set, so CALLBACKS_MASTER_KEY and CALLBACKS_PAYLOAD_KEY must both be set ' +
        '(the same on every host; generated key files cannot be shared)',
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      devServerPort: e.TEMPORAL_PORT,
      devServerUiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
      workflowBundlePath: e.CALLBACKS_WORKFLOW_BUNDLE
        ? path.resolve(e.CALLBACKS_WORKFLOW_BUNDLE)
        : path.resolve(__dirname, '../dist/workflow-bundle.js'),
    },
    database: e.DATABASE_URL ? { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE } : undefined,
    production,
    apiKeys: e.CALLBACKS_API_KEY,
    masterKeys: e.CALLBACKS_MASTER_KEY.map((k) => Buffer.from(k, 'base64')),
    payloadKeys: e.CALLBACKS_PAYLOAD_KEY.map((k) => Buffer.from(k, 'base64')),
    allowedCidrs: e.CALLBACKS_ALLOWED_CIDRS,
    maxEventBytes: e.CALLBACKS_MAX_EVENT_BYTES,
    ingestRps: e.CALLBACKS_INGEST_RPS,
    allowPrivateTargets: e.CALLBACKS_ALLOW_PRIVATE_TARGETS,
    allowHttp: e.CALLBACKS_ALLOW_HTTP,
    attemptRetentionDays: e.CALLBACKS_ATTEMPT_RETENTION_DAYS,
    recoverPerSecond: e.CALLBACKS_RECOVER_RPS,
    publicUrl: (e.CALLBACKS_PUBLIC_URL ?? ownUrl(e.HOST, e.PORT)).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    workerSlots: { workflowTasks: e.CALLBACKS_WORKFLOW_TASK_SLOTS, activityTasks: e.CALLBACKS_ACTIVITY_TASK_SLOTS },
    localFirstAttempt: e.CALLBACKS_LOCAL_FIRST_ATTEMPT,
    metrics: {
      token: e.CALLBACKS_METRICS_TOKEN,
      workerPort: e.CALLBACKS_WORKER_METRICS_PORT,
      sdkPort: e.CALLBACKS_SDK_METRICS_PORT,
      visibilityCacheMs: e.CALLBACKS_METRICS_CACHE_SECONDS * 1000,
    },
    ...(e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, ''), serviceName: e.OTEL_SERVICE_NAME } }
      : {}),
  };
}
