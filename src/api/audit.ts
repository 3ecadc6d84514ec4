import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../log';
import type { Caller } from './auth';
import { parseOr400 } from './errors';
import { scopeOf } from './tenantScope';
import type { TenantStore } from '../store/tenantStore';

/**
 * The audit log of management actions: endpoint create, update, delete and secret rotation;
 * resend; discard; recover; and of every reference URL fetched. Each record names the API key
 * that acted (its id, the first 8 hex characters of its SHA-256; `reference` for a fetch, which
 * has none), the action, its target and when. Details never hold secrets,
 * auth values or payloads.
 */

export type AuditAction =
  | 'endpoint.create'
  | 'endpoint.update'
  | 'endpoint.delete'
  | 'endpoint.secret.rotate'
  | 'endpoint.recover'
  | 'delivery.resend'
  | 'delivery.discard'
  | 'reference.fetch'
  | 'tenant.create'
  | 'tenant.update'
  | 'tenant.delete'
  | 'tenant.key.create'
  | 'tenant.key.delete';

/** The actor of a reference fetch: it has no API key, the token is the capability. */
export const REFERENCE_ACTOR = 'reference';

interface AuditContext {
  log: Logger;
}

/** Makes `audit(res, …)` work in every route below it (and below tenantScope). */
export function auditContext(log: Logger): RequestHandler {
  const context: AuditContext = { log };
  return (_req, res, next) => {
    res.locals.audit = context;
    next();
  };
}

/**
 * Records a management action by the caller of this request. Call it after the action has
 * succeeded. The action has happened by then, so a failure to record is logged, not answered.
 */
export async function audit(res: Response, action: AuditAction, target: string, details?: Record<string, unknown>): Promise<void> {
  const caller = res.locals.caller as Caller | undefined;
  await auditAs(res, caller?.keyId ?? 'anonymous', action, target, details);
}

/**
 * `audit` for an actor that is not an API key (REFERENCE_ACTOR), into `log`: the audit log of the
 * tenant concerned, for a request that has no caller's tenant.
 */
export async function auditAs(
  res: Response,
  actor: string,
  action: AuditAction,
  target: string,
  details?: Record<string, unknown>,
  log?: Pick<TenantStore, 'recordAudit'>,
): Promise<void> {
  const context = res.locals.audit as AuditContext | undefined;
  if (!context) throw new Error('audit() needs auditContext() in front of the route');
  try {
    // In the caller's tenant (or the tenant `log` names): each tenant's log holds its own actions only.
    await (log ?? scopeOf(res).store).recordAudit({ at: new Date().toISOString(), keyId: actor, action, target, details });
  } catch (err) {
    context.log.error('could not record an audit entry', { action, target, error: (err as Error).message });
  }
}

/** Where a url points, without credentials, path or query (which may carry tokens). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid url';
  }
}

export const auditListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a cursor from a previous page').optional(),
});

/** `GET /v1/audit?limit=&cursor=`: newest first. */
export function auditRoutes(): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseOr400(auditListQuerySchema, req.query, 'query');
    const rows = await scopeOf(res).store.listAudit({ limit: q.limit + 1, before: q.cursor === undefined ? undefined : Number(q.cursor) });
    const data = rows.slice(0, q.limit);
    res.json({ data, nextCursor: rows.length > q.limit ? String(data[data.length - 1].id) : null });
  });
  return router;
}
