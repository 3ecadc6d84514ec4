import { Router } from 'express';
import { z } from 'zod';
import { callIdSchema } from '../domain/ids';
import type { CallEvents } from '../temporal/callEvents';
import type { Store } from '../store/store';
import { notFound, parseOr400 } from './errors';

export const callParamsSchema = z.strictObject({ callId: callIdSchema });

/**
 * `GET /v1/calls/:callId`: what the service holds about a call: the values captured from
 * endpoints' answers (its context, from the store) and its events with their statuses (from
 * Temporal visibility). A call it knows nothing of is a 404, as an unknown event is.
 */
export function callRoutes({ store, calls }: { store: Store; calls: CallEvents }): Router {
  const router = Router();

  router.get('/:callId', async (req, res) => {
    const { callId } = parseOr400(callParamsSchema, req.params, 'path');
    const [context, events] = await Promise.all([store.getCallContext(callId), calls.eventsOf(callId)]);
    if (Object.keys(context).length === 0 && events.length === 0) throw notFound('Call', callId);
    res.json({ callId, context, events });
  });

  return router;
}
