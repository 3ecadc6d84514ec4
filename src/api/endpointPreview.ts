import { z } from 'zod';
import { eventTypeSchema, parseEventData } from '../domain/catalog';
import type { Endpoint } from '../domain/endpoint';
import { newId } from '../domain/ids';
import { eventBody, previewHeaders } from '../domain/outgoing';
import { referenceUrl } from '../domain/references';
import { CallbackEventsError } from '../errors';

/**
 * `POST /v1/endpoints/:id/preview`: exactly what the endpoint would receive for an event, built
 * by the code the delivery activity sends with (src/domain/outgoing.ts). Nothing is sent or
 * stored, and the signature is not computed (the timestamp is the time of sending). Nor is a
 * reference minted: a link the endpoint would get as a reference shows as one whose token is
 * `PREVIEW_TOKEN`, since a real token would point at a link the preview does not keep.
 */

export const PREVIEW_TOKEN = '(a-token-minted-when-sent)';

export const previewBodySchema = z.strictObject({
  type: eventTypeSchema,
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.unknown()),
});

export type PreviewBody = z.infer<typeof previewBodySchema>;

export async function previewFor(endpoint: Endpoint, body: PreviewBody, publicUrl: string): Promise<{ body: unknown; headers: Record<string, string> }> {
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
  // A transform failure is `transform_failed`, answered 422 with jsonata's message.
  const text = await eventBody(endpoint, event, async () => referenceUrl(publicUrl, PREVIEW_TOKEN));
  return { body: JSON.parse(text) as unknown, headers: previewHeaders(endpoint, event.id) };
}
