import type { CallbackEvent } from '../../workflows/contract';
import type { EventType } from './catalog';
import type { Endpoint, EndpointWithSecret } from './endpoint';
import { withReferences, type Referencer } from './references';
import { scopeData } from './scope';
import { signatureHeaders } from './signing';
import { compileTransform, type CompiledTransform } from './transform';
import { USER_AGENT } from '../version';

/**
 * What an endpoint receives for one event: the body (scoped, then transformed) and the headers.
 * The delivery activity sends it; `POST /v1/endpoints/:id/preview` shows it. One module, so the
 * preview cannot drift from what is really sent.
 */

/**
 * The body receivers get: Standard Webhooks' `{ type, timestamp, data }` plus the event id,
 * `test: true` for an endpoint test's sample, and
 * `outOfOrder: true` when ordering per call sent a later event of the call first.
 */
export function webhookBody(event: CallbackEvent, data: Record<string, unknown>, flags: { outOfOrder?: true } = {}): string {
  return JSON.stringify(webhookEnvelope(event, data, flags));
}

function webhookEnvelope(event: CallbackEvent, data: Record<string, unknown>, flags: { outOfOrder?: true } = {}) {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.occurredAt,
    ...(event.test ? { test: true } : {}),
    ...(flags.outOfOrder ? { outOfOrder: true } : {}),
    data,
  };
}

/** Compiled transforms, once per endpoint version rather than once per delivery. */
export class TransformCache {
  private readonly compiled = new Map<string, { version: string; transform: CompiledTransform }>();

  of(endpoint: Endpoint): CompiledTransform | undefined {
    if (!endpoint.transform) return undefined;
    let entry = this.compiled.get(endpoint.id);
    if (entry?.version !== endpoint.updatedAt) {
      entry = { version: endpoint.updatedAt, transform: compileTransform(endpoint.transform) };
      this.compiled.set(endpoint.id, entry);
    }
    return entry.transform;
  }
}

/**
 * An event's `data` as the endpoint receives it: scoped, then each link to stored call data
 * replaced by a reference (unless the endpoint is on `referenceUrls: "raw"`).
 */
export async function deliveredData(endpoint: Endpoint, event: CallbackEvent, referencer: Referencer): Promise<Record<string, unknown>> {
  const type = event.type as EventType;
  return withReferences(type, event.id, scopeData(type, event.data, endpoint.payloadScope), endpoint.payloadScope, referencer);
}

/**
 * The body for one event: scoped and referenced first, so a transform only ever sees fields the
 * endpoint is approved for, and never a raw link unless it is on `raw`; then transformed, when
 * the endpoint has a transform. Throws `transform_failed`.
 */
export async function eventBody(
  endpoint: Endpoint,
  event: CallbackEvent,
  referencer: Referencer,
  flags: { outOfOrder?: true } = {},
  transform: CompiledTransform | undefined = endpoint.transform ? compileTransform(endpoint.transform) : undefined,
): Promise<string> {
  const envelope = webhookEnvelope(event, await deliveredData(endpoint, event, referencer), flags);
  return transform ? transform.run(envelope) : JSON.stringify(envelope);
}

/** The static headers, then the auth header: what the endpoint receives besides the signature. */
export function plainHeaders(endpoint: Endpoint & { auth?: EndpointWithSecret['auth'] }): Record<string, string> {
  const auth: Record<string, string> =
    endpoint.auth?.type === 'bearer'
      ? { authorization: `Bearer ${endpoint.auth.token}` }
      : endpoint.auth?.type === 'header'
        ? { [endpoint.auth.name.toLowerCase()]: endpoint.auth.value }
        : {};
  return { ...endpoint.headers, ...auth, 'content-type': 'application/json', 'user-agent': USER_AGENT };
}

export function requestHeaders(endpoint: EndpointWithSecret, msgId: string, body: string): Record<string, string> {
  return {
    ...plainHeaders(endpoint),
    // During a rotation's grace period both secrets sign: `v1,<new> v1,<old>` (or `v1a,…`).
    ...signatureHeaders(endpoint.previousSecret ? [endpoint.secret, endpoint.previousSecret] : [endpoint.secret], msgId, body),
  };
}

/** The preview's headers: the signature headers named, their values computed only when sent. */
export function previewHeaders(endpoint: Endpoint, msgId: string): Record<string, string> {
  return {
    ...plainHeaders(endpoint),
    'webhook-id': msgId,
    'webhook-timestamp': '(the time of sending, in seconds)',
    'webhook-signature': '(computed when sent, over the body)',
  };
}
