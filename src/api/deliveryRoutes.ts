import { Router } from 'express';
import { z } from 'zod';
import { tokenOf } from '../temporal/deliveryListing';
import { callIdSchema, endpointIdSchema, parseDeliveryId } from '../domain/ids';
import { urlProblem, type UrlPolicy } from '../domain/urlPolicy';
import { eventTypeSchema } from '../domain/catalog';
import { CallbackEventsError } from '../errors';
import { DELIVERY_STATUSES } from '../../workflows/contract';
import { notFound, parseOr400 } from './errors';
import { audit, originOf } from './audit';
import { scopeOf } from './tenantScope';

export const deliveryStatusSchema = z.enum(DELIVERY_STATUSES);

export const deliveryListQuerySchema = z.strictObject({
  status: deliveryStatusSchema.optional(),
  endpointId: endpointIdSchema.optional(),
  eventType: eventTypeSchema.optional(),
  callId: callIdSchema.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(4096).refine((c) => tokenOf(c) !== undefined, 'must be a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const resendBodySchema = z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048).optional() });
export const discardBodySchema = z.strictObject({});

export function deliveryRoutes({ policy }: { policy: UrlPolicy }): Router {
  const router = Router();

  const idsOf = (id: string) => {
    const ids = parseDeliveryId(id);
    if (!ids) throw notFound('Delivery', id);
    return ids;
  };

  /** Newest first (by when the event arrived), from Temporal visibility. */
  router.get('/', async (req, res) => {
    const q = parseOr400(deliveryListQuerySchema, req.query, 'query');
    const { store, deliveries } = scopeOf(res);
    const page = await deliveries.list(
      {
        status: q.status,
        endpointId: q.endpointId,
        eventType: q.eventType,
        callId: q.callId,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
      },
      { cursor: q.cursor, limit: q.limit },
    );
    const counts = await store.countAttempts(page.data.map((d) => d.id));
    res.json({
      data: page.data.map((d) => ({ ...d, attempts: counts.get(d.id) ?? 0 })),
      nextCursor: page.nextCursor ?? null,
    });
  });

  router.get('/:id', async (req, res) => {
    const { eventId, endpointId } = idsOf(req.params.id);
    const { store, events } = scopeOf(res);
    const snapshot = await events.snapshot(eventId);
    // An event not matched yet (its first workflow task, which may be waiting on its receivers'
    // answers) has no deliveries to show: one to an endpoint of its tenant reads as pending till then.
    const matching = snapshot?.status === 'pending' && snapshot.deliveries.length === 0 && (await store.getEndpoint(endpointId)) !== undefined;
    const delivery = snapshot?.deliveries.find((d) => d.endpointId === endpointId) ??
      (matching ? { id: req.params.id, endpointId, status: 'pending' as const, attempts: 0 } : undefined);
    if (!snapshot || !delivery) throw notFound('Delivery', req.params.id);
    const attempts = await store.listAttempts(delivery.id);
    res.json({
      id: delivery.id,
      eventId,
      endpointId,
      eventType: snapshot.type,
      status: delivery.status,
      reason: delivery.reason,
      deliveredAt: delivery.deliveredAt,
      ...(delivery.batchId ? { batchId: delivery.batchId } : {}),
      ...(delivery.coalescedBy ? { coalescedBy: delivery.coalescedBy } : {}),
      attempts: attempts.map(({ deliveryId: _id, ...a }) => a),
    });
  });

  router.post('/:id/resend', async (req, res) => {
    const { url } = parseOr400(resendBodySchema, req.body ?? {});
    const problem = url === undefined ? undefined : urlProblem(url, policy);
    if (problem) throw new CallbackEventsError('invalid_request', `Invalid body: url: ${problem}`, { details: [{ path: 'url', message: problem }] });
    const { eventId, endpointId } = idsOf(req.params.id);
    const mode = await scopeOf(res).events.resend(eventId, endpointId, url);
    await audit(res, 'delivery.resend', req.params.id, url === undefined ? { mode } : { mode, url: originOf(url) });
    res.status(202).json({ id: req.params.id, action: 'resend', mode });
  });

  router.post('/:id/discard', async (req, res) => {
    parseOr400(discardBodySchema, req.body ?? {});
    const { eventId, endpointId } = idsOf(req.params.id);
    await scopeOf(res).events.discard(eventId, endpointId);
    await audit(res, 'delivery.discard', req.params.id);
    res.status(202).json({ id: req.params.id, action: 'discard' });
  });

  return router;
}
