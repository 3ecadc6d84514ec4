import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Caller } from './auth';
import type { Tenant } from '../domain/tenant';
import { CallbackEventsError } from '../errors';

/**
 * Limits on what a caller can make the API do: how deep a JSON body may nest (checked on the raw
 * bytes, before JSON.parse, so no nesting can reach a recursive parser or validator), and how
 * many events a second each API key may post.
 */

export const MAX_JSON_DEPTH = 32;

/** The request line and headers together, at most; beyond, the HTTP server answers 431. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The API's HTTP server. Node's default header limit (16 KiB) would refuse a long query with a
 * bare 431 before the API can say which parameter is too long.
 */
export function createApiServer(app: RequestListener): Server {
  return createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
}

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The deepest nesting of objects and arrays in UTF-8 JSON bytes, stopping as soon as it passes
 * `max`. Brackets inside strings do not count. In UTF-8 every byte of a multi-byte character is
 * >= 0x80, so scanning bytes never mistakes part of a character for a bracket or a quote.
 */
export function jsonDepthExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** express.json's `verify` hook: refuses bodies nested deeper than `max` before they are parsed. */
export function verifyJsonDepth(max = MAX_JSON_DEPTH) {
  return (_req: IncomingMessage, _res: unknown, buf: Buffer, encoding: string): void => {
    const charset = encoding.toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      // The byte scan is only sound for UTF-8; the API speaks UTF-8 JSON only.
      throw new CallbackEventsError('unsupported_encoding', 'Send the body as UTF-8 JSON.');
    }
    if (jsonDepthExceeds(buf, max)) throw new CallbackEventsError('too_deep', `The request body nests objects and arrays deeper than ${max} levels.`);
  };
}

/** Turns the body parser's refusals that this module causes into the API's error shape. */
export const limitErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    const limit = (err as { limit?: number }).limit;
    return next(new CallbackEventsError('payload_too_large', `The request body is larger than ${limit === undefined ? 'the limit' : `${limit} bytes`}.`));
  }
  next(err);
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Whose bucket a request draws from: by default its API key (the anonymous caller, without keys, has one). */
export type BucketOf = (req: Request, res: Response) => string;
const byCaller: BucketOf = (_req, res) => (res.locals.caller as Caller | undefined)?.keyId ?? 'anonymous';

/** Buckets this old are full again and are dropped once the map grows past MAX_BUCKETS. */
const MAX_BUCKETS = 10_000;

/**
 * A token bucket per API key (or per what `bucketOf` says): `perSecond` tokens a second, holding
 * at most about one second's worth, so a short burst passes and a runaway producer gets 429 with
 * Retry-After instead of reaching Temporal. Kept in this process's memory: the limit applies per
 * API process. Keys are configured, so the map stays small; other bucket names (client addresses)
 * are dropped once their bucket is full again.
 */
export function rateLimit(
  perSecond: number,
  now: () => number = () => performance.now(),
  { bucketOf = byCaller, what = 'events from this key' }: { bucketOf?: BucketOf; what?: string } = {},
): RequestHandler {
  const refillMs = (Math.max(1, Math.ceil(perSecond)) / perSecond) * 1000;
  const buckets = new Map<string, Bucket>();
  return (req, res, next) => {
    const t = now();
    if (buckets.size > MAX_BUCKETS) {
      for (const [key, b] of buckets) if (t - b.updatedAt > refillMs) buckets.delete(key);
    }
    const retryAfter = takeToken(buckets, bucketOf(req, res), perSecond, t);
    if (retryAfter === undefined) return next();
    next(
      new CallbackEventsError('rate_limited', `Too many ${what}: at most ${perSecond} a second. Retry after ${retryAfter} s.`, {
        headers: { 'retry-after': String(retryAfter) },
      }),
    );
  };
}

/**
 * The tenant's `limits.ingestPerSecond`, beside the per-key limit: one bucket per tenant, shared
 * by all its keys (and by service keys acting for it), per API process like the key's. A tenant
 * without the limit is not limited here.
 */
export function tenantRateLimit(now: () => number = () => performance.now()): RequestHandler {
  const buckets = new Map<string, Bucket & { perSecond: number }>();
  return (_req, res, next) => {
    const tenant = res.locals.tenant as Tenant | undefined;
    const perSecond = tenant?.limits?.ingestPerSecond;
    if (!tenant || perSecond === undefined) return next();
    // A changed limit starts a fresh bucket at the new rate.
    if (buckets.get(tenant.id)?.perSecond !== perSecond) buckets.set(tenant.id, { tokens: Math.max(1, Math.ceil(perSecond)), updatedAt: now(), perSecond });
    const retryAfter = takeToken(buckets, tenant.id, perSecond, now());
    if (retryAfter === undefined) return next();
    next(
      new CallbackEventsError('rate_limited', `Too many events for this tenant: at most ${perSecond} a second. Retry after ${retryAfter} s.`, {
        headers: { 'retry-after': String(retryAfter) },
      }),
    );
  };
}

/**
 * A token bucket holding at most about one second's worth: takes a token and answers undefined,
 * or answers the seconds to wait for one.
 */
function takeToken(buckets: Map<string, Bucket>, id: string, perSecond: number, t: number): number | undefined {
  const capacity = Math.max(1, Math.ceil(perSecond));
  const bucket = buckets.get(id) ?? { tokens: capacity, updatedAt: t };
  bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.updatedAt) / 1000) * perSecond);
  bucket.updatedAt = t;
  buckets.set(id, bucket);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return undefined;
  }
  return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
}
