import express, { Router } from 'express';
import { z } from 'zod';
import type { ApiKey } from '../config';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
import { DEFAULT_TENANT_ID, TENANT_KEY_ROLES } from '../domain/tenant';
import { authenticate, credentialOf, keyResolver, type Caller } from './auth';
import { parseOr400 } from './errors';
import { clearSessionCookie, fromOwnOrigin, SESSION_TTL_SECONDS, setSessionCookie, type Sessions } from './sessionCookie';

/**
 * The login session a browser holds instead of a key (the web console, the Temporal UI under
 * `/ui`): POST /v1/session trades a key (a service key or a tenant key, either role) for a sealed
 * HttpOnly cookie; GET /v1/session says who the caller is (cookie or bearer); DELETE ends it.
 * Outside /v1's own authentication: logging in is how a browser gets one.
 */

export const sessionLoginSchema = z.object({ key: z.string().min(1).max(512) }).strict();

/** Who a session (or a bearer key) acts as: the fields of Caller, answered as they are. */
export const sessionSchema = z.object({
  keyId: z.string(),
  role: z.enum(TENANT_KEY_ROLES),
  tenantId: z.string(),
  service: z.boolean(),
});

const answer = (caller: Caller): z.infer<typeof sessionSchema> => ({
  keyId: caller.keyId,
  role: caller.role,
  tenantId: caller.tenantId,
  service: caller.service,
});

export function sessionRoutes({ apiKeys, store, sessions }: { apiKeys: ApiKey[]; store: Store; sessions: Sessions }): Router {
  const router = Router();
  const resolve = keyResolver(apiKeys, store);

  router.post('/', express.json({ limit: '4kb', strict: true, type: () => true }), async (req, res) => {
    // A page of another origin must not log a browser in under a key of its choosing.
    if (req.get('origin') !== undefined && !fromOwnOrigin(req, sessions.publicOrigin)) {
      throw new CallbackEventsError('forbidden', 'Log in from this API\'s own pages: the Origin header names another site.');
    }
    const { key } = parseOr400(sessionLoginSchema, req.body);
    const credential = credentialOf(key);
    const resolved = await resolve(credential);
    if (!resolved) throw new CallbackEventsError('unauthorized', 'The API key is not valid.');
    const expiresAt = Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS;
    setSessionCookie(req, res, sessions.seal.seal({ ...credential, expiresAt }));
    res.set('cache-control', 'no-store');
    res.json(answer({ ...resolved.caller, tenantId: resolved.keyTenant?.id ?? DEFAULT_TENANT_ID }));
  });

  router.get('/', authenticate(apiKeys, store, sessions), (_req, res) => {
    res.set('cache-control', 'no-store');
    res.json(answer(res.locals.caller as Caller));
  });

  router.delete('/', (req, res) => {
    clearSessionCookie(req, res);
    res.status(204).end();
  });
  return router;
}
