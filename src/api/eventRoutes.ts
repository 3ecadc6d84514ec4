import { Router } from 'express';
import { catalog, parseEventData } from '../domain/catalog';
import { eventIdSchema, newId } from '../domain/ids';
import { eventBodySchema } from './eventBody';
import { CallbackEventsError } from '../errors';
import { notFound, parseOr400 } from './errors';
import { scopeOf } from './tenantScope';
import type { IngestMetrics } from '../metrics/ingest';
import { noteEvent } from '../telemetry/serverSpan';

export function eventRoutes({ metrics }: { metrics?: IngestMetrics } = {}): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parseOr400(eventBodySchema, req.body);
    const parsed = parseEventData(body.type, body.data);
    if (!parsed.success) {
      throw new CallbackEventsError('invalid_request', `Invalid body: ${parsed.error.message}`, { details: parsed.error.details });
    }
    // Checked whenever sent, even beside a body id: a malformed header is a mistake to report, not to ignore.
    const header = req.get('idempotency-key');
    const key = header === undefined ? undefined : parseOr400(eventIdSchema, header, 'Idempotency-Key header');
    const id = body.id ?? key ?? newId('evt_');
    const event = {
      id,
      type: body.type,
      occurredAt: body.occurredAt ?? new Date().toISOString(),
      data: parsed.data as Record<string, unknown>,
    };
    noteEvent(event);
    // Answered only once Temporal has the workflow: a 2xx means the event is durable.
    const scope = scopeOf(res);
    const { workflowId, duplicate } = await scope.events.start({ event });
    metrics?.accepted(event.type, scope.tenantId, duplicate);
    res.status(duplicate ? 200 : 202).json({ id, workflowId, duplicate });
  });

  router.get('/:id', async (req, res) => {
    const snapshot = await scopeOf(res).events.snapshot(req.params.id);
    if (!snapshot) throw notFound('Event', req.params.id);
    res.json({
      id: snapshot.id,
      type: snapshot.type,
      status: snapshot.status,
      deliveries: snapshot.deliveries.map(({ id, endpointId, status, attempts, lastStatusCode, lastError, deliveredAt, reason, coalescedBy }) => ({
        id, endpointId, status, attempts, lastStatusCode, lastError, deliveredAt, reason, coalescedBy,
      })),
    });
  });

  return router;
}

export function eventTypeRoutes(): Router {
  const router = Router();
  const body = { data: catalog() };
  router.get('/', (_req, res) => {
    res.json(body);
  });
  return router;
}
