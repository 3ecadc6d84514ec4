import path from 'node:path';
import { z } from 'zod';

/**
 * The service's whole configuration, read from the environment once at start.
 * Nothing else in the code base reads process.env: pass the parsed config down.
 */

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((v) => v === 'true' || v === '1');

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
  CALLBACKS_API_KEY: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : [])),
  CALLBACKS_ALLOW_PRIVATE_TARGETS: bool.default(false),
  CALLBACKS_ALLOW_HTTP: bool.default(false),
  CALLBACKS_ATTEMPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CALLBACKS_RECOVER_RPS: z.coerce.number().int().min(1).max(1000).default(20),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
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
  };
  apiKeys: string[];
  allowPrivateTargets: boolean;
  allowHttp: boolean;
  /** Attempt-log rows older than this are purged by a Temporal Schedule. */
  attemptRetentionDays: number;
  /** Bulk jobs (recover, release) act on at most this many deliveries a second. */
  recoverPerSecond: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as shells and compose files write it.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
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
    },
    apiKeys: e.CALLBACKS_API_KEY,
    allowPrivateTargets: e.CALLBACKS_ALLOW_PRIVATE_TARGETS,
    allowHttp: e.CALLBACKS_ALLOW_HTTP,
    attemptRetentionDays: e.CALLBACKS_ATTEMPT_RETENTION_DAYS,
    recoverPerSecond: e.CALLBACKS_RECOVER_RPS,
    logLevel: e.LOG_LEVEL,
  };
}
