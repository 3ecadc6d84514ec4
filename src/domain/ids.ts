import { randomBytes } from 'node:crypto';
import { z } from 'zod';

import { DEFAULT_TENANT_ID } from '../../workflows/contract';

export { deliveryId, workflowIdForEvent } from '../../workflows/contract';

/** Identifier rules in one place; neither rule admits `~`, so delivery ids split back unambiguously. */

/** A slug: an endpoint id as a client chooses it, and a tenant id (tenant.ts); neither admits `.`. */
const SLUG = '[a-z0-9][a-z0-9-]{0,62}';
/**
 * An endpoint's id: the slug, prefixed `<tenant id>.` in a tenant other than `default`
 * (tenantEndpointId). Slugs admit no `.`, so each tenant's ids are a namespace of their own.
 */
const ENDPOINT_ID = `(?:${SLUG}\\.)?${SLUG}`;
const EVENT_ID = '[A-Za-z0-9][A-Za-z0-9._:-]{0,199}';

/** The id a client may choose for a new endpoint. */
export const endpointSlugSchema = z
  .string()
  .regex(new RegExp(`^${SLUG}$`), 'must be a slug: lowercase letters, digits and dashes, at most 63 characters');

/** An endpoint's id as the API shows it and takes it in paths and filters. */
export const endpointIdSchema = z
  .string()
  .regex(new RegExp(`^${ENDPOINT_ID}$`), 'must be an endpoint id: a slug (lowercase letters, digits and dashes, at most 63 characters), prefixed "<tenant id>." outside the default tenant');

/**
 * A new endpoint's id in its tenant's namespace: the chosen (or generated) slug as it is in
 * `default`, `<tenant>.<slug>` in any other tenant. Endpoint ids stay unique across the platform,
 * but two tenants never compete for one: a tenant choosing an id another tenant uses gets its own,
 * and a `409` only ever names an endpoint of the caller's own tenant.
 */
export function tenantEndpointId(tenantId: string, slug: string): string {
  return tenantId === DEFAULT_TENANT_ID ? slug : `${tenantId}.${slug}`;
}

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
