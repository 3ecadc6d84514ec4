import { eventTypes, sensitivePaths } from './domain/catalog';

/**
 * A small structured logger: one JSON line per entry on stderr.
 * Callers pass ids, statuses and timings only, never payloads, secrets or tokens. Should one
 * slip in anyway, fields are redacted before writing (nested too): keys that name a secret
 * (secret, token, authorization, password, apiKey, cookie…) and the catalog's sensitive field
 * names (summary, transcript, extracted, phone…).
 */

export const REDACTED = '[redacted]';

/** Keys are compared lower-cased without separators: `api_key`, `apiKey` and `X-API-Key` alike. */
const normalize = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');
const SECRET_PARTS = ['secret', 'token', 'authorization', 'password', 'passwd', 'apikey', 'cookie', 'privatekey', 'credential'];
const SENSITIVE_NAMES = new Set(
  eventTypes.flatMap((type) => sensitivePaths(type).map((path) => normalize(path.split('.').pop() ?? path))),
);
const MAX_DEPTH = 8;

export function isRedactedKey(key: string): boolean {
  const k = normalize(key);
  return SENSITIVE_NAMES.has(k) || SECRET_PARTS.some((part) => k.includes(part));
}

/** A copy of `value` with the values under secret or sensitive keys replaced, at any depth. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Dates, Buffers, URLs: their own JSON form
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isRedactedKey(k) ? REDACTED : redact(v, depth + 1, seen)]),
    );
  } finally {
    seen.delete(value);
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, component: string): Logger {
  const write = (at: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const safe = fields ? (redact(fields) as Record<string, unknown>) : undefined;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: at, component, msg, ...safe })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
