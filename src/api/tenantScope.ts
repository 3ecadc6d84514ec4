import type { RequestHandler, Response } from 'express';
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

export function tenantScope(store: Store, services: TemporalServices): RequestHandler {
  return (_req, res, next) => {
    const { tenantId } = res.locals.caller as Caller;
    const weight = (res.locals.tenant as Tenant | undefined)?.weight;
    res.locals.scope = { tenantId, store: forTenant(store, tenantId), ...services.forTenant(tenantId, { weight }) } satisfies TenantScope;
    next();
  };
}

export function scopeOf(res: Response): TenantScope {
  const scope = res.locals.scope as TenantScope | undefined;
  if (!scope) throw new Error('scopeOf() needs tenantScope() in front of the route');
  return scope;
}
