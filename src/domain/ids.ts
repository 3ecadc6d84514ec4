import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export { deliveryId, workflowIdForEvent } from '../../workflows/contract';

/** Identifier rules in one place; neither rule admits `~`, so delivery ids split back unambiguously. */

const ENDPOINT_ID = '[a-z0-9][a-z0-9-]{0,62}';
const EVENT_ID = '[A-Za-z0-9][A-Za-z0-9._:-]{0,199}';

export const endpointIdSchema = z
  .string()
  .regex(new RegExp(`^${ENDPOINT_ID}$`), 'must be a slug: lowercase letters, digits and dashes, at most 63 characters');

export const eventIdSchema = z
  .string()
  .regex(new RegExp(`^${EVENT_ID}$`), 'must be 1-200 characters of letters, digits and . _ : -');

/**
 * A call's id, as a filter: it goes into a visibility query's string literal, which a quote would
 * end and a control character (NUL) makes Temporal refuse, an error its client retries until the
 * deadline and that reads as Temporal being down.
 */
export const callIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^'"\\\u0000-\u001f\u007f]*$/, 'must not contain quotes, backslashes or control characters');

/** `<eventId>~<endpointId>`: one event's delivery to one endpoint (what `parseDeliveryId` splits). */
export const deliveryIdSchema = z.string().regex(new RegExp(`^${EVENT_ID}~${ENDPOINT_ID}$`), 'must be <eventId>~<endpointId>');

/** A random id such as `evt_9f1c…` or `ep-9f1c…`; lowercase hex so it also fits the endpoint slug rule. */
export function newId(prefix: 'evt_' | 'ep-' | 'tn-'): string {
  return prefix + randomBytes(10).toString('hex');
}

export function parseDeliveryId(id: string): { eventId: string; endpointId: string } | undefined {
  const at = id.lastIndexOf('~');
  if (at <= 0) return undefined;
  const eventId = id.slice(0, at);
  const endpointId = id.slice(at + 1);
  if (!eventIdSchema.safeParse(eventId).success || !endpointIdSchema.safeParse(endpointId).success) return undefined;
  return { eventId, endpointId };
}
