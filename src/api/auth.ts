import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiKey, ApiKeyRole } from '../config';
import { CallbackEventsError } from '../errors';

/**
 * Bearer keys for `/v1`, compared as SHA-256 digests in constant time. Each request is tagged
 * with the key's id (the first 8 hex characters of its SHA-256) for the audit log.
 */

export interface Caller {
  keyId: string;
  role: ApiKeyRole;
}

const digest = (key: string) => createHash('sha256').update(key).digest();
export const keyIdOf = (key: string) => digest(key).toString('hex').slice(0, 8);

/** Without keys (development) every caller is an anonymous admin. */
const ANONYMOUS: Caller = { keyId: 'anonymous', role: 'admin' };

export function authenticate(keys: ApiKey[]): RequestHandler {
  const known = keys.map((k) => ({ digest: digest(k.key), caller: { keyId: keyIdOf(k.key), role: k.role } }));
  return (req, res, next) => {
    if (known.length === 0) {
      res.locals.caller = ANONYMOUS;
      return next();
    }
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    if (!match) return next(new CallbackEventsError('unauthorized', 'Send the API key as "Authorization: Bearer <key>".'));
    const given = digest(match[1].trim());
    // Compare against every key so timing does not reveal which one matched.
    let caller: Caller | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, given)) caller = k.caller;
    if (!caller) return next(new CallbackEventsError('unauthorized', 'The API key is not valid.'));
    res.locals.caller = caller;
    next();
  };
}

/** An `ingest` key may only post events; everything else needs `admin`. */
export function requireRole(role: ApiKeyRole): RequestHandler {
  return (_req, res, next) => {
    const caller = res.locals.caller as Caller | undefined;
    if (!caller) return next(new CallbackEventsError('unauthorized', 'Send the API key as "Authorization: Bearer <key>".'));
    if (role === 'admin' && caller.role !== 'admin') {
      return next(new CallbackEventsError('forbidden', `This key (${caller.keyId}) has the ${caller.role} role; this action needs an admin key.`));
    }
    next();
  };
}

/**
 * GET /metrics: an admin key, or the metrics token (CALLBACKS_METRICS_TOKEN), which a scraper can
 * hold without being able to do anything else. Open only when neither keys nor a token are set.
 */
export function metricsAuth(keys: ApiKey[], token?: string): RequestHandler {
  const tokenDigest = token === undefined ? undefined : digest(token);
  const byKey = authenticate(keys);
  const admin = requireRole('admin');
  return (req, res, next) => {
    if (keys.length === 0 && !tokenDigest) return next();
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    if (tokenDigest && match && timingSafeEqual(tokenDigest, digest(match[1].trim()))) return next();
    if (keys.length === 0) return next(new CallbackEventsError('unauthorized', 'Send the metrics token as "Authorization: Bearer <token>".'));
    byKey(req, res, (err?: unknown) => (err ? next(err) : admin(req, res, next)));
  };
}
