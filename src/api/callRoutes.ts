import { Router } from 'express';
import { z } from 'zod';
import { callIdSchema } from '../domain/ids';
import { notFound, parseOr400 } from './errors';
import { scopeOf } from './tenantScope';

export const callParamsSchema = z.strictObject({ callId: callIdSchema });

/**
 * `GET /v1/calls/:callId`: what the service holds about a call: the values captured from
 * endpoints' answers (its context, from the store) and its events with their statuses (from
 * Temporal visibility). A call it knows nothing of is a 404, as an unknown event is.
 */
export function callRoutes(): Router {
  const router = Router();

  // Call ids are a tenant's own: its context and its events only (tenantScope.ts).
  router.get('/:callId', async (req, res) => {
    const { callId } = parseOr400(callParamsSchema, req.params, 'path');
    const { store, calls } = scopeOf(res);
    const [context, events] = await Promise.all([store.getCallContext(callId), calls.eventsOf(callId)]);
    if (Object.keys(context).length === 0 && events.length === 0) throw notFound('Call', callId);
    res.json({ callId, context, events });
  });

  return router;
}
