import { z } from 'zod';
import { captureSchema } from './capture';
import { eventTypeSchema } from './catalog';
import { filterSchema } from './filter';
import { endpointSlugSchema } from './ids';
import { payloadScopeSchema } from './scope';
import { transformSchema } from './transformSchema';
import { DEFAULT_SIGNING_SCHEME, secretProblem, SIGNING_SCHEMES } from './signing';

/** The endpoint shape, as accepted by the API and kept in the store. One source of truth. */

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https url' }).max(2048);

const durationMs = (min: number) => z.number().int().min(min);

export const retrySettingsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(50).optional(),
  initialIntervalMs: durationMs(50).max(86_400_000).optional(),
  backoffCoefficient: z.number().min(1).max(100).optional(),
  maxIntervalMs: durationMs(50).max(7 * 86_400_000).optional(),
  attemptTimeoutMs: durationMs(100).max(300_000).optional(),
  /** Also retry 3xx and 4xx answers other than 408, 425 and 429 (410 still disables). */
  retryAllErrors: z.boolean().optional(),
});

export const RETRY_DEFAULTS = {
  maxAttempts: 8,
  initialIntervalMs: 5_000,
  backoffCoefficient: 6,
  maxIntervalMs: 36_000_000,
  attemptTimeoutMs: 15_000,
  retryAllErrors: false,
} as const;

export const batchSettingsSchema = z.strictObject({
  maxSize: z.number().int().min(1).max(1_000),
  maxWaitMs: durationMs(50).max(86_400_000),
});

/**
 * Coalescing: of the events of one call and one type that arrive within `windowMs` of the first,
 * only the latest is delivered, when the window closes; the others end `coalesced`.
 */
export const coalesceSettingsSchema = z.strictObject({
  per: z.literal('call'),
  windowMs: durationMs(100).max(3_600_000),
});

export const REVIEW_WINDOW_MS_DEFAULT = 7 * 86_400_000;

/** Ordering per call: how long the first event of a burst waits for earlier events of its call. */
export const ORDERING_WINDOW_MS_DEFAULT = 1_000;

/** Flow control (docs/flow-control.md): a token bucket shared by every worker. */
export const rateLimitSchema = z.strictObject({
  // A floor keeps the wait for a token a finite, timer-sized number (5e-324 a second once made
  // a wait of Infinity, which reached the workflow as null and failed its task over and over).
  perSecond: z.number().min(0.001).max(10_000),
  /** How many may go at once after a quiet spell (the bucket's size); default: one second's worth. */
  burst: z.number().int().min(1).max(10_000).optional(),
});

export const MAX_CONCURRENCY_DEFAULT = 20;

/** Svix's figure: five days of nothing but failures. */
export const AUTO_DISABLE_AFTER_MS_DEFAULT = 120 * 3_600_000;

export type RetrySettings = Required<z.infer<typeof retrySettingsSchema>>;

export function resolveRetry(retry: z.infer<typeof retrySettingsSchema> | undefined): RetrySettings {
  return { ...RETRY_DEFAULTS, ...retry };
}

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name');
const headerValue = z.string().max(4096).regex(/^[^\r\n]*$/, 'must not contain line breaks');

/** Headers the service sets itself; an endpoint may not override them. */
const RESERVED_HEADERS = new Set([
  'content-type', 'content-length', 'host', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature',
  'transfer-encoding', 'connection', 'traceparent', 'tracestate', 'webhook-traceparent-signature',
]);

const staticHeaders = z.record(headerName, headerValue).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.addIssue({ code: 'custom', message: `header "${name}" is set by the service and cannot be overridden` });
    }
  }
});

export const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: z.string().min(1).max(4096) }),
  z.strictObject({ type: z.literal('header'), name: headerName, value: headerValue.min(1) }),
]);

/** The settings an endpoint has; the create and patch bodies and the API's view of an endpoint are built from them. */
export const endpointSettingsShape = {
  url: httpUrl,
  description: z.string().max(500).optional(),
  disabled: z.boolean().optional(),
  eventTypes: z.array(eventTypeSchema).min(1).optional(),
  filter: filterSchema.optional(),
  payloadScope: payloadScopeSchema.optional(),
  auth: authSchema.optional(),
  headers: staticHeaders.optional(),
  retry: retrySettingsSchema.optional(),
  fallbackUrl: httpUrl.optional(),
  /** Disable the endpoint once every attempt has failed for this long (seconds-long values are for tests). */
  autoDisableAfterMs: durationMs(1_000).max(365 * 86_400_000).optional(),
  /** How long a delivery waits in review for a resend or discard before it expires (default 7 days). */
  reviewWindowMs: durationMs(1_000).max(90 * 86_400_000).optional(),
  /** Flow control: at most `perSecond` requests a second (bursts of `burst`), across all workers. */
  rateLimit: rateLimitSchema.optional(),
  /** The most requests in flight to this endpoint at once, across all workers (default 20); AIMD lowers it under pressure. */
  maxConcurrency: z.number().int().min(1).max(1_000).optional(),
  /** `high`: this endpoint's deliveries take Temporal's priority lane (priorityKey 1). */
  priority: z.enum(['high', 'normal']).optional(),
  /** Deliver in batches: one signed POST of up to `maxSize` events, sent `maxWaitMs` after its first event at the latest. */
  batch: batchSettingsSchema.optional(),
  /** `per_call`: the events of one call are delivered one at a time, in occurredAt order (default `none`). */
  ordering: z.enum(['none', 'per_call']).optional(),
  /** With `per_call`: how long the first event of a burst waits for earlier ones to arrive (default 1 s). */
  orderingWindowMs: z.number().int().min(0).max(60_000).optional(),
  /** A JSONata expression whose result is the body sent instead of the event (docs/api.md, "Transforms"). */
  transform: transformSchema.optional(),
  /** `{ per: "call", windowMs }`: a flurry of one type for one call delivers only its latest event (not with `batch` or `ordering`). */
  coalesce: coalesceSettingsSchema.optional(),
  /** `{ name: JSON pointer }`: values read from a 2xx answer, carried by the call's later events as `data.context` (docs/case-ids.md). */
  capture: captureSchema.optional(),
  /** While traces are on, each request carries its attempt's W3C `traceparent`, signed (docs/tracing.md). */
  sendTraceparent: z.boolean().optional(),
};

/** How deliveries are signed: Standard Webhooks `v1` (HMAC-SHA256) or `v1a` (Ed25519). Fixed at creation. */
export const signingSchema = z.enum(SIGNING_SCHEMES);

export const endpointCreateSchema = z
  .strictObject({
    /** Chosen by the client: a slug, which becomes `<tenant>.<slug>` outside the default tenant (ids.ts tenantEndpointId). */
    id: endpointSlugSchema.optional(),
    /** A secret of your own: `whsec_…` for hmac-sha256, `whsk_…` for ed25519. */
    secret: z.string().max(200).optional(),
    signing: signingSchema.optional(),
    ...endpointSettingsShape,
  })
  .superRefine((body, ctx) => {
    if (body.secret === undefined) return;
    const problem = secretProblem(body.secret, body.signing ?? DEFAULT_SIGNING_SCHEME);
    if (problem) ctx.addIssue({ code: 'custom', path: ['secret'], message: problem });
  });

/** PATCH: any field may change; `null` clears an optional one. */
export const endpointPatchSchema = z.strictObject({
  url: endpointSettingsShape.url.optional(),
  description: endpointSettingsShape.description.nullable(),
  disabled: endpointSettingsShape.disabled,
  eventTypes: endpointSettingsShape.eventTypes.nullable(),
  filter: endpointSettingsShape.filter.nullable(),
  payloadScope: endpointSettingsShape.payloadScope.nullable(),
  auth: endpointSettingsShape.auth.nullable(),
  headers: endpointSettingsShape.headers.nullable(),
  retry: endpointSettingsShape.retry.nullable(),
  fallbackUrl: endpointSettingsShape.fallbackUrl.nullable(),
  autoDisableAfterMs: endpointSettingsShape.autoDisableAfterMs.nullable(),
  reviewWindowMs: endpointSettingsShape.reviewWindowMs.nullable(),
  rateLimit: endpointSettingsShape.rateLimit.nullable(),
  maxConcurrency: endpointSettingsShape.maxConcurrency.nullable(),
  priority: endpointSettingsShape.priority.nullable(),
  batch: endpointSettingsShape.batch.nullable(),
  ordering: endpointSettingsShape.ordering.nullable(),
  orderingWindowMs: endpointSettingsShape.orderingWindowMs.nullable(),
  transform: endpointSettingsShape.transform.nullable(),
  coalesce: endpointSettingsShape.coalesce.nullable(),
  capture: endpointSettingsShape.capture.nullable(),
  sendTraceparent: endpointSettingsShape.sendTraceparent.nullable(),
});

export type EndpointCreate = z.infer<typeof endpointCreateSchema>;
export type EndpointPatch = z.infer<typeof endpointPatchSchema>;
export type EndpointSettings = Omit<EndpointCreate, 'id' | 'secret'> & {
  /** Set by the service when it disables an endpoint, or by an operator's PATCH; cleared on enable. */
  disabledReason?: string;
};

export interface Endpoint extends EndpointSettings {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** An endpoint with its signing secret: only activities and the secret route see this. */
export interface EndpointWithSecret extends Endpoint {
  secret: string;
  /** The secret a rotation replaced, present only while it still signs (its grace period). */
  previousSecret?: string;
  /** When `previousSecret` stops signing; present with it. */
  previousSecretExpiresAt?: string;
}
