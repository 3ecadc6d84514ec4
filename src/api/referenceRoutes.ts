import { Router } from 'express';
import { z } from 'zod';
import type { ReferenceTokens } from '../crypto/referenceTokens';
import { getsReferences } from '../domain/references';
import { CallbackEventsError } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { forTenant } from '../store/tenantStore';
import { DEFAULT_TENANT_ID } from '../domain/tenant';
import { auditAs, auditContext, REFERENCE_ACTOR } from './audit';
import { rateLimit } from './limits';

/**
 * `GET /v1/references/:token`: a reference URL an endpoint received in place of a link to call
 * data. No API key: the token is the capability. A genuine, unexpired token of an endpoint that
 * still holds the approval redirects (302) to the link the store keeps; an expired one is 410;
 * anything else is one and the same 404, so an answer never tells a forged token from a revoked
 * one. Every fetch of a genuine token is in the audit log (actor `reference`).
 */

/** Fetches a second per client address, per API process. */
export const REFERENCE_FETCHES_PER_SECOND = 20;

export const referenceParamsSchema = z.object({
  token: z.string().meta({ description: 'The token, as the reference URL carries it.' }),
});

const unknownReference = () => new CallbackEventsError('not_found', 'No such reference.');

type Outcome = 'redirected' | 'expired' | 'revoked' | 'gone';

export function referenceRoutes({ store, tokens, log }: { store: Store; tokens: ReferenceTokens; log: Logger }): Router {
  const router = Router();
  router.use(auditContext(log));
  const limit = rateLimit(REFERENCE_FETCHES_PER_SECOND, undefined, {
    bucketOf: (req) => req.socket.remoteAddress ?? 'unknown',
    what: 'reference fetches from this address',
  });

  router.get('/:token', limit, async (req, res) => {
    // Every answer, the errors too: a proxy or browser must not keep it, nor pass the url on.
    res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    const claims = tokens.verify(String(req.params.token));
    if (!claims) throw unknownReference();
    const { eventId, endpointId, field } = claims;
    // The token names an endpoint: its tenant is the one whose link it may reach and whose log hears of it.
    const tenantId = (await store.tenantOfEndpoint(endpointId)) ?? DEFAULT_TENANT_ID;
    const tenant = forTenant(store, tenantId);
    const fetched = (outcome: Outcome) => auditAs(res, REFERENCE_ACTOR, 'reference.fetch', endpointId, { eventId, field, outcome }, tenant);

    if (claims.expiresAt * 1000 <= Date.now()) {
      await fetched('expired');
      throw new CallbackEventsError('reference_expired', 'This reference has expired.');
    }
    const endpoint = await tenant.getEndpoint(endpointId);
    // An endpoint made after the token (the one it named was deleted) does not inherit its references.
    const sameEndpoint = endpoint !== undefined && Math.floor(Date.parse(endpoint.createdAt) / 1000) <= claims.issuedAt;
    if (!endpoint || !sameEndpoint || !getsReferences(endpoint.payloadScope)) {
      await fetched('revoked');
      throw unknownReference();
    }
    const url = await tenant.referencedLink(eventId, field);
    if (!url) {
      await fetched('gone');
      throw unknownReference();
    }
    await fetched('redirected');
    res.status(302).set('location', url).end();
  });
  return router;
}
