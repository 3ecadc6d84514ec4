import { isOperational, type CallbackEvent } from '../../workflows/contract';
import type { CallContext } from './capture';
import type { EventType } from './catalog';
import type { Endpoint, EndpointWithSecret } from './endpoint';
import { withReferences, type Referencer } from './references';
import { scopeData } from './scope';
import { signatureHeaders, traceparentSignatureHeaders } from './signing';
import type { TransformRunner } from '../transforms/pool';
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

/**
 * The call whose context an event carries and feeds: a call event's `callId`. A test sample (whose
 * call is the catalog's) and the service's operational events have none.
 */
export function contextCallOf(event: CallbackEvent): string | undefined {
  if (event.test || isOperational(event.type)) return undefined;
  return typeof event.data.callId === 'string' ? event.data.callId : undefined;
}

/**
 * The event with its call's captured values as `data.context` (docs/case-ids.md), when there are
 * any. Added before scoping, so an endpoint's `payloadScope` can drop `context` like any field.
 */
export function withCallContext(event: CallbackEvent, context: CallContext): CallbackEvent {
  if (Object.keys(context).length === 0) return event;
  return { ...event, data: { ...event.data, context } };
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
 * endpoint is approved for, and never a raw link unless it is on `raw`; then transformed, in a
 * transform thread, when the endpoint has a transform. Throws `transform_failed`.
 */
export async function eventBody(
  endpoint: Endpoint,
  event: CallbackEvent,
  transforms: TransformRunner,
  referencer: Referencer,
  flags: { outOfOrder?: true } = {},
): Promise<string> {
  const envelope = webhookEnvelope(event, await deliveredData(endpoint, event, referencer), flags);
  return endpoint.transform ? transforms.run(endpoint.transform, envelope) : JSON.stringify(envelope);
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

/**
 * `trace.traceparent`: the attempt's W3C trace context, for an endpoint with `sendTraceparent`
 * while traces are on; sent with its own signature (signing.ts, traceparentSignatureHeaders).
 */
export function requestHeaders(
  endpoint: EndpointWithSecret,
  msgId: string,
  body: string,
  trace: { traceparent?: string } = {},
): Record<string, string> {
  // During a rotation's grace period both secrets sign: `v1,<new> v1,<old>` (or `v1a,…`).
  const secrets = endpoint.previousSecret ? [endpoint.secret, endpoint.previousSecret] : [endpoint.secret];
  const signed = signatureHeaders(secrets, msgId, body);
  return {
    ...plainHeaders(endpoint),
    ...signed,
    ...(trace.traceparent ? traceparentSignatureHeaders(secrets, msgId, Number(signed['webhook-timestamp']), trace.traceparent, body) : {}),
  };
}

/** The preview's headers: the signature headers named, their values computed only when sent. */
export function previewHeaders(endpoint: Endpoint, msgId: string): Record<string, string> {
  return {
    ...plainHeaders(endpoint),
    'webhook-id': msgId,
    'webhook-timestamp': '(the time of sending, in seconds)',
    'webhook-signature': '(computed when sent, over the body)',
    ...(endpoint.sendTraceparent
      ? {
          traceparent: '(the attempt\'s W3C trace context, when traces are on)',
          'webhook-traceparent-signature': '(computed when sent, over the traceparent and the body)',
        }
      : {}),
  };
}
