import type { Request, RequestHandler, Response } from 'express';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
import { forTenant, type TenantStore } from '../store/tenantStore';
import type { TemporalServices, TenantServices } from '../temporal/services';
import type { Caller } from './auth';
import type { Tenant } from '../domain/tenant';

/**
 * The one place the tenant boundary is drawn for the API: after authentication, each request gets
 * the store and the Temporal services of its caller's tenant, and routes reach data only through
 * them (`scopeOf(res)`). A route cannot forget a tenant filter, because it holds nothing unfiltered.
 */

export interface TenantScope extends TenantServices {
  tenantId: string;
  store: TenantStore;
}

/**
 * `isRoute`: whether a request reaches a route. A tenant that does not exist (named by a service
 * key's X-Tenant-Id; a tenant key's own always does) is a 404 there; a request to no route goes on
 * to the 404 or 405 it would get anyway.
 */
export function tenantScope(store: Store, services: TemporalServices, isRoute: (req: Request) => boolean): RequestHandler {
  return (req, res, next) => {
    const { tenantId } = res.locals.caller as Caller;
    const tenant = res.locals.tenant as Tenant | undefined;
    if (!tenant) {
      if (isRoute(req)) return next(new CallbackEventsError('not_found', `Tenant "${tenantId}" does not exist.`));
      return next();
    }
    const weight = tenant.weight;
    res.locals.scope = { tenantId, store: forTenant(store, tenantId), ...services.forTenant(tenantId, { weight }) } satisfies TenantScope;
    next();
  };
}

export function scopeOf(res: Response): TenantScope {
  const scope = res.locals.scope as TenantScope | undefined;
  if (!scope) throw new Error('scopeOf() needs tenantScope() in front of the route');
  return scope;
}
