import { z } from 'zod';
import { eventTypeSchema, parseEventData } from '../domain/catalog';
import type { Endpoint } from '../domain/endpoint';
import { newId } from '../domain/ids';
import { contextCallOf, eventBody, previewHeaders, withCallContext } from '../domain/outgoing';
import { referenceUrl } from '../domain/references';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
import type { TransformRunner } from '../transforms/pool';

/**
 * `POST /v1/endpoints/:id/preview`: exactly what the endpoint would receive for an event, built
 * by the code the delivery activity sends with (src/domain/outgoing.ts), with the call's context
 * as it is now. Nothing is sent or stored, and the signature is not computed (the timestamp is the
 * time of sending). Nor is a reference minted: a link the endpoint would get as a reference shows
 * as one whose token is `PREVIEW_TOKEN`, since a real token would point at a link the preview does
 * not keep.
 */

export const PREVIEW_TOKEN = '(a-token-minted-when-sent)';

export const previewBodySchema = z.strictObject({
  type: eventTypeSchema,
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.unknown()),
});

export type PreviewBody = z.infer<typeof previewBodySchema>;

export async function previewFor(
  store: Pick<Store, 'getCallContext'>,
  endpoint: Endpoint,
  body: PreviewBody,
  transforms: TransformRunner,
  publicUrl: string,
): Promise<{ body: unknown; headers: Record<string, string> }> {
  const parsed = parseEventData(body.type, body.data);
  if (!parsed.success) {
    throw new CallbackEventsError('invalid_request', `Invalid body: ${parsed.error.message}`, { details: parsed.error.details });
  }
  const event = {
    id: newId('evt_'),
    type: body.type,
    occurredAt: body.occurredAt ?? new Date().toISOString(),
    data: parsed.data as Record<string, unknown>,
  };
  const callId = contextCallOf(event);
  const delivered = callId === undefined ? event : withCallContext(event, await store.getCallContext(callId));
  // A transform failure is `transform_failed`, answered 422 with jsonata's message.
  const text = await eventBody(endpoint, delivered, transforms, async () => referenceUrl(publicUrl, PREVIEW_TOKEN));
  return { body: JSON.parse(text) as unknown, headers: previewHeaders(endpoint, event.id) };
}
