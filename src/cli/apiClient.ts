import type { z } from 'zod';
import type { errorBodySchema } from '../api/responseSchemas';
import { VERSION } from '../version';
import type { CliConfig } from './config';

/**
 * The CLI's one way to the service: JSON over HTTP with the key and tenant from the config. An
 * answer of 4xx/5xx becomes an ApiError holding the API's own error body, so the CLI prints the
 * API's message as it is; no answer at all becomes an UnreachableError.
 */

export type ErrorBody = z.infer<typeof errorBodySchema>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error.message);
  }
  get code(): string {
    return this.body.error.code;
  }
}

export class UnreachableError extends Error {}

/** Longer than the slowest route: an endpoint test holds the request for up to 15 s. */
const REQUEST_TIMEOUT_MS = 60_000;

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  /** The parsed JSON body of a 2xx (undefined for a 204). */
  request<T>(method: string, path: string, options?: { body?: unknown; query?: Query; headers?: Record<string, string> }): Promise<T>;
}

function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** Why fetch failed, in a person's words: undici puts the system error (ECONNREFUSED…) in `cause`. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

export function createApiClient(config: CliConfig): ApiClient {
  const baseHeaders: Record<string, string> = {
    accept: 'application/json',
    'user-agent': `callbacks-cli/${VERSION}`,
    ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    ...(config.tenant ? { 'x-tenant-id': config.tenant } : {}),
  };
  return {
    async request<T>(method: string, path: string, options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}) {
      const url = new URL(config.url + path);
      for (const [name, value] of Object.entries(options.query ?? {})) {
        if (value !== undefined) url.searchParams.set(name, String(value));
      }
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            ...baseHeaders,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        // The url only: it holds no credential (the key travels in a header).
        throw new UnreachableError(`cannot reach the service at ${config.url}: ${reasonOf(err)}`);
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (res.ok) return parsed as T;
      // Something in front of the service (a proxy) may answer without the API's error body.
      const body = isErrorBody(parsed)
        ? parsed
        : { error: { code: `http_${res.status}`, message: `${method} ${path} answered ${res.status} ${res.statusText}`.trim() } };
      throw new ApiError(res.status, body);
    },
  };
}
