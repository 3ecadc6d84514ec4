import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiKey, ApiKeyRole } from '../config';
import { DEFAULT_TENANT_ID, tenantIdSchema } from '../domain/tenant';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
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

/**
 * `store` absent: the service's keys only (the codec server, which serves every tenant's payloads).
 * With it, tenant keys too; `res.locals.tenant` is then the tenant acted for, or undefined when
 * X-Tenant-Id names none (tenantScope answers that 404).
 */
export function authenticate(keys: ApiKey[], store?: Store): RequestHandler {
  const known = keys.map((k) => ({ digest: digest(k.key), caller: { keyId: keyIdOf(k.key), role: k.role, service: true } }));
  return async (req, res, next) => {
    try {
      const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
      const given = match?.[1].trim();
      let caller: Omit<Caller, 'tenantId'> | undefined;
      let keyTenant: string | undefined;
      const found = store && given !== undefined && isTenantKey(given) ? await store.findTenantKey(tenantKeyHash(given)) : undefined;
      if (found) {
        caller = { keyId: found.id, role: found.role, service: false };
        keyTenant = found.tenantId;
      } else if (given !== undefined && known.length > 0) {
        const givenDigest = digest(given);
        // Compare against every key so timing does not reveal which one matched.
        for (const k of known) if (timingSafeEqual(k.digest, givenDigest)) caller = k.caller;
      } else if (known.length === 0 && !(given !== undefined && isTenantKey(given))) {
        // A revoked tenant key is refused even here: it must not become the anonymous admin.
        caller = ANONYMOUS;
      }
      if (!caller) throw given === undefined ? noKey() : new CallbackEventsError('unauthorized', 'The API key is not valid.');
      const tenantId = tenantFor(req.get(TENANT_HEADER), keyTenant, store);
      res.locals.caller = { ...caller, tenantId } satisfies Caller;
      // Its settings (limits) as they are now: read per request, so an edit holds at once everywhere.
      res.locals.tenant = found?.tenant ?? (await store?.getTenant(tenantId));
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
