import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { ApiKey, ApiKeyRole } from '../config';
import { DEFAULT_TENANT_ID, tenantIdSchema } from '../domain/tenant';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
import type { Tenant } from '../domain/tenant';
import { cookieMayAct, sessionCookieOf, type Sessions } from './sessionCookie';
import { isTenantKey, tenantKeyHash } from './tenantKeys';

/**
 * Bearer keys for `/v1`. The service's keys (CALLBACKS_API_KEY) are compared as SHA-256 digests in
 * constant time; tenant keys are looked up by their hash in the store on every request, so a
 * revoked key stops at once on every API process. Each request is tagged with the key's id (a
 * service key's: the first 8 hex characters of its SHA-256; a tenant key's: `key_…`) for the
 * audit log, and with the tenant it acts for.
 */

export interface Caller {
  keyId: string;
  role: ApiKeyRole;
  /** The tenant this request acts for: a tenant key's own, or the one a service key names in X-Tenant-Id. */
  tenantId: string;
  /** A service key (or the anonymous caller without keys): it may manage tenants and act for any of them. */
  service: boolean;
}

export const TENANT_HEADER = 'x-tenant-id';

const digest = (key: string) => createHash('sha256').update(key).digest();
export const keyIdOf = (key: string) => digest(key).toString('hex').slice(0, 8);

/** Without keys (development) every caller without a tenant key is an anonymous service admin. */
const ANONYMOUS = { keyId: 'anonymous', role: 'admin', service: true } as const;

const noKey = () => new CallbackEventsError('unauthorized', 'Send the API key as "Authorization: Bearer <key>".');

/** A key as presented: its SHA-256 (hex; all a login session keeps of it) and whether it is a tenant key. */
export interface KeyCredential {
  keyHash: string;
  tenantKey: boolean;
}

export const credentialOf = (key: string): KeyCredential => ({ keyHash: tenantKeyHash(key), tenantKey: isTenantKey(key) });

export interface ResolvedKey {
  caller: Omit<Caller, 'tenantId'>;
  /** A tenant key's tenant, and its settings as they are now. */
  keyTenant?: { id: string; tenant: Tenant };
}

/**
 * Who a key is, read afresh each time: a tenant key by its hash in the store (absent: the codec
 * server's case, service keys only), a service key by comparing digests in constant time.
 */
export function keyResolver(keys: ApiKey[], store?: Store): (credential: KeyCredential) => Promise<ResolvedKey | undefined> {
  const known = keys.map((k) => ({ digest: digest(k.key), caller: { keyId: keyIdOf(k.key), role: k.role, service: true } }));
  return async ({ keyHash, tenantKey }) => {
    const found = store && tenantKey ? await store.findTenantKey(keyHash) : undefined;
    if (found) return { caller: { keyId: found.id, role: found.role, service: false }, keyTenant: { id: found.tenantId, tenant: found.tenant } };
    const given = Buffer.from(keyHash, 'hex');
    let caller: ResolvedKey['caller'] | undefined;
    // Compare against every key so timing does not reveal which one matched.
    for (const k of known) if (timingSafeEqual(k.digest, given)) caller = k.caller;
    return caller && { caller };
  };
}

/**
 * The credential of a request authenticated by its login session (no Authorization header): an
 * unreadable or expired cookie is a 401; one on a request that may change something, from a page
 * not of this API, a 403 (sessionCookie.ts).
 */
function sessionCredential(req: Request, sessions: Sessions): KeyCredential | undefined {
  const sealed = sessionCookieOf(req);
  if (sealed === undefined) return undefined;
  const claims = sessions.seal.open(sealed);
  if (!claims || claims.expiresAt * 1000 <= Date.now()) {
    throw new CallbackEventsError('unauthorized', 'The login session has expired or is not valid; log in again (POST /v1/session).');
  }
  if (!cookieMayAct(req, sessions.publicOrigin)) {
    throw new CallbackEventsError('forbidden', 'A request authenticated by the login cookie that changes something must come from this API\'s own pages (Origin).');
  }
  return { keyHash: claims.keyHash, tenantKey: claims.tenantKey };
}

/**
 * `store` absent: the service's keys only (the codec server, which serves every tenant's payloads).
 * With it, tenant keys too; `res.locals.tenant` is then the tenant acted for, or undefined when
 * X-Tenant-Id names none (tenantScope answers that 404). `sessions`: the login cookie is accepted
 * where no Authorization header is sent (a bearer key wins), with the same roles and tenant rules.
 */
export function authenticate(keys: ApiKey[], store?: Store, sessions?: Sessions): RequestHandler {
  const resolve = keyResolver(keys, store);
  return async (req, res, next) => {
    try {
      const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
      const given = match?.[1].trim();
      const fromSession = given === undefined && sessions ? sessionCredential(req, sessions) : undefined;
      const credential = given !== undefined ? credentialOf(given) : fromSession;
      let resolved = credential && (await resolve(credential));
      if (!resolved && keys.length === 0 && !credential?.tenantKey) {
        // A revoked tenant key is refused even here: it must not become the anonymous admin.
        resolved = { caller: ANONYMOUS };
      }
      if (!resolved) {
        throw credential === undefined
          ? noKey()
          : new CallbackEventsError('unauthorized', fromSession ? 'The key this login session was made with is no longer valid; log in again.' : 'The API key is not valid.');
      }
      const tenantId = tenantFor(req.get(TENANT_HEADER), resolved.keyTenant?.id, store);
      res.locals.caller = { ...resolved.caller, tenantId } satisfies Caller;
      // Its settings (limits) as they are now: read per request, so an edit holds at once everywhere.
      res.locals.tenant = resolved.keyTenant?.tenant ?? (await store?.getTenant(tenantId));
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The tenant a request acts for: a tenant key's own; for a service key, X-Tenant-Id or `default`
 * (without a store, the codec server's case: always `default`).
 */
function tenantFor(header: string | undefined, keyTenant: string | undefined, store: Store | undefined): string {
  const named = header?.trim();
  if (named !== undefined && !tenantIdSchema.safeParse(named).success) {
    throw new CallbackEventsError('invalid_request', 'Invalid X-Tenant-Id header: must be a tenant id (a slug).', {
      details: [{ path: 'X-Tenant-Id', message: 'must be a slug' }],
    });
  }
  if (keyTenant !== undefined) {
    if (named !== undefined && named !== keyTenant) {
      throw new CallbackEventsError('forbidden', 'A tenant key acts only for its own tenant; leave out X-Tenant-Id or name that tenant.');
    }
    return keyTenant;
  }
  // Whether it exists is tenantScope's to say, once the request is known to reach a route.
  return named === undefined || !store ? DEFAULT_TENANT_ID : named;
}

/** An `ingest` key may only post events; everything else needs `admin`. */
export function requireRole(role: ApiKeyRole): RequestHandler {
  return (_req, res, next) => {
    const caller = res.locals.caller as Caller | undefined;
    if (!caller) return next(noKey());
    if (role === 'admin' && caller.role !== 'admin') {
      return next(new CallbackEventsError('forbidden', `This key (${caller.keyId}) has the ${caller.role} role; this action needs an admin key.`));
    }
    next();
  };
}

/** Managing tenants is for the service's admin keys only; a tenant's own keys never reach it. */
export const requireServiceAdmin: RequestHandler = (_req, res, next) => {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) return next(noKey());
  if (!caller.service || caller.role !== 'admin') {
    return next(new CallbackEventsError('forbidden', `This key (${caller.keyId}) cannot manage tenants; that needs one of the service's admin keys.`));
  }
  next();
};

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
