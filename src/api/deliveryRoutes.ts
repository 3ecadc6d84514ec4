import { Router } from 'express';
import { z } from 'zod';
import type { EventGateway } from '../events/eventGateway';
import { parseDeliveryId } from '../ids';
import { urlProblem, type UrlPolicy } from '../urlPolicy';
import { ApiError, notFound, parseOr400 } from './errors';

const resendBodySchema = z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048).optional() });
const discardBodySchema = z.strictObject({});

export function deliveryRoutes({ events, policy }: { events: EventGateway; policy: UrlPolicy }): Router {
  const router = Router();

  /** The delivery, which must be awaiting review for resend and discard to act on it. */
  async function awaitingReview(id: string) {
    const ids = parseDeliveryId(id);
    if (!ids) throw notFound('Delivery', id);
    const snapshot = await events.snapshot(ids.eventId);
    const delivery = snapshot?.deliveries.find((d) => d.endpointId === ids.endpointId);
    if (!delivery) throw notFound('Delivery', id);
    if (delivery.status !== 'awaiting_review') {
      throw new ApiError(409, 'not_awaiting_review', `Delivery "${id}" is ${delivery.status}; only a delivery awaiting review can be resent or discarded.`);
    }
    return ids;
  }

  router.post('/:id/resend', async (req, res) => {
    const { url } = parseOr400(resendBodySchema, req.body ?? {});
    const problem = url === undefined ? undefined : urlProblem(url, policy);
    if (problem) throw new ApiError(400, 'invalid_request', `Invalid body: url: ${problem}`, [{ path: 'url', message: problem }]);
    const { eventId, endpointId } = await awaitingReview(req.params.id);
    await events.resend(eventId, endpointId, url);
    res.status(202).json({ id: req.params.id, action: 'resend' });
  });

  router.post('/:id/discard', async (req, res) => {
    parseOr400(discardBodySchema, req.body ?? {});
    const { eventId, endpointId } = await awaitingReview(req.params.id);
    await events.discard(eventId, endpointId);
    res.status(202).json({ id: req.params.id, action: 'discard' });
  });

  return router;
}
