import { Agent, errors, request } from 'undici';
import type { FailureClass } from '../../workflows/contract';
import { guardedLookup, urlShapeProblem, type OutboundPolicy } from './outboundGuard';
import { hasCode } from '../errors';

/**
 * The outbound HTTP client for webhook attempts. One keep-alive agent is shared by all
 * attempts so connections to a receiver are reused. Redirects are never followed.
 * Every attempt passes the outbound guard: the url's shape and literal IP before the request,
 * and every address a name resolves to in the agent's own lookup, so the socket connects to the
 * addresses that were checked.
 */

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Also answer the whole body of a 2xx (`wholeBody`), for capture; it is never logged. */
  keepWholeBody?: boolean;
}

export interface PostOutcome {
  ok: boolean;
  durationMs: number;
  statusCode?: number;
  failure?: FailureClass;
  /** A short, non-sensitive description for operators. */
  message: string;
  /** The first RESPONSE_KEEP_BYTES of the response body. */
  responseBody?: string;
  /** A 2xx's whole body, when asked for and no longer than RESPONSE_READ_LIMIT; for capture only. */
  wholeBody?: string;
  retryAfter?: string;
}

export interface WebhookClient {
  post(req: PostRequest): Promise<PostOutcome>;
  close(): Promise<void>;
}

const RESPONSE_KEEP_BYTES = 4096;
/** Past this the rest of a response is not read: the connection is dropped. */
const RESPONSE_READ_LIMIT = 64 * 1024;

function classify(err: unknown): { failure: FailureClass; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code ?? '';
  const blocked = hasCode(err, 'outbound_blocked') ? err : hasCode(e.cause, 'outbound_blocked') ? e.cause : undefined;
  if (blocked) return { failure: 'blocked', message: `refused by the outbound guard: ${blocked.message}` };
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError ||
    e.name === 'TimeoutError' ||
    e.name === 'AbortError'
  ) {
    return { failure: 'timeout', message: 'the receiver did not answer in time' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { failure: 'dns', message: `name resolution failed (${code})` };
  if (/^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code) || /SSL|TLS/i.test(e.message ?? '')) {
    return { failure: 'tls', message: `TLS failed (${code || 'handshake'})` };
  }
  return { failure: 'connect', message: `connection failed (${code || e.name || 'error'})` };
}

/** The kept start of a body, and the whole of it when asked for and it ended within the read limit. */
async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(): void },
  keepWhole: boolean,
): Promise<{ kept: string; whole?: string }> {
  const chunks: Buffer[] = [];
  let read = 0;
  let cut = false;
  for await (const chunk of body) {
    if (keepWhole || read < RESPONSE_KEEP_BYTES) chunks.push(chunk);
    read += chunk.length;
    if (read >= RESPONSE_READ_LIMIT) {
      cut = true;
      body.destroy();
      break;
    }
  }
  const all = Buffer.concat(chunks);
  // A body cut at the limit would parse as nothing useful, or worse as part of what was meant.
  return { kept: all.subarray(0, RESPONSE_KEEP_BYTES).toString('utf8'), whole: keepWhole && !cut ? all.toString('utf8') : undefined };
}

/** Without a policy the client is as strict as production: https only, public addresses only. */
const STRICT: OutboundPolicy = { allowHttp: false, allowPrivateTargets: false };

export function createWebhookClient(options: { connections?: number; policy?: OutboundPolicy } = {}): WebhookClient {
  const policy = options.policy ?? STRICT;
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: options.connections ?? 64,
    connect: { lookup: guardedLookup(policy) },
  });
  return {
    async post({ url, headers, body, timeoutMs, keepWholeBody = false }) {
      const started = performance.now();
      // A literal IP never reaches the lookup (net connects to it directly): judge it here.
      const refused = urlShapeProblem(url, policy);
      if (refused) return { ok: false, durationMs: 0, failure: 'blocked', message: `refused by the outbound guard: the url ${refused}` };
      // One deadline for the whole exchange, headers and body alike.
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const res = await request(url, {
          method: 'POST',
          headers,
          body,
          dispatcher: agent,
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const statusCode = res.statusCode;
        const ok = statusCode >= 200 && statusCode < 300;
        const { kept: responseBody, whole } = await readLimited(res.body, keepWholeBody && ok);
        const retryAfter = res.headers['retry-after'];
        return {
          ok,
          durationMs: Math.round(performance.now() - started),
          statusCode,
          failure: ok ? undefined : 'http',
          message: ok ? `HTTP ${statusCode}` : `the receiver answered HTTP ${statusCode}`,
          responseBody,
          ...(whole === undefined ? {} : { wholeBody: whole }),
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        };
      } catch (err) {
        return { ok: false, durationMs: Math.round(performance.now() - started), ...classify(err) };
      }
    },
    async close() {
      await agent.close();
    },
  };
}
