import { z } from 'zod';
import { MAX_CAPTURED_CHARS } from '../domain/capture';
import { eventTypeSchema } from '../domain/catalog';
import { endpointSettingsShape, signingSchema } from '../domain/endpoint';
import { deliveryIdSchema, endpointIdSchema } from '../domain/ids';
import type { CallEvent } from '../temporal/callEvents';
import type { AttemptRecord, AuditRecord } from '../store/store';
import {
  JOB_KINDS,
  DELIVERY_TARGETS,
  EVENT_STATUSES,
  FAILURE_CLASSES,
  JOB_STATUSES,
  type DeliverySnapshot,
  type EventSnapshot,
  type JobProgress,
} from '../../workflows/contract';
import { deliveryStatusSchema } from './deliveryRoutes';

/**
 * What the API answers, as zod schemas: the OpenAPI document's response bodies. Request bodies
 * are the schemas the routes validate with; these describe the other direction. Where a
 * response mirrors a TypeScript type kept elsewhere, a compile-time check below ties the two.
 */

const timestamp = z.iso.datetime({ offset: true });

/** Every error: `{ "error": { "code", "message", "details"? } }`. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** An endpoint as the API shows it: its settings, never its secret. */
export const endpointSchema = z.strictObject({
  id: endpointIdSchema,
  signing: signingSchema,
  ...endpointSettingsShape,
  /** Why the endpoint is disabled (by the service or an operator). */
  disabledReason: z.string().optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** When the replaced secret stops signing, during a rotation's grace period. */
  previousSecretExpiresAt: timestamp.optional(),
});

const secretFields = {
  secret: z.string(),
  /** ed25519 endpoints: the public key receivers verify with. */
  publicKey: z.string().optional(),
};

/** `POST /v1/endpoints`: the endpoint and, this once beside it, its secret. */
export const createdEndpointSchema = endpointSchema.extend(secretFields);

/** `GET /v1/endpoints/:id`: with flow control as it stands. */
export const endpointWithFlowSchema = endpointSchema.extend({
  flow: z.strictObject({
    concurrency: z.number().int(),
    rate: z.number().nullable(),
    queued: z.number().int(),
    inFlight: z.number().int(),
  }),
});

export const endpointListSchema = z.strictObject({ data: z.array(endpointSchema) });

export const endpointSecretSchema = z.strictObject(secretFields);

export const rotatedSecretSchema = z.strictObject({ ...secretFields, previousSecretExpiresAt: timestamp });

export const publicKeySchema = z.strictObject({
  publicKey: z.string(),
  previousPublicKey: z.string().optional(),
  previousPublicKeyExpiresAt: timestamp.optional(),
});

export const endpointTestResultSchema = z.strictObject({
  eventId: z.string(),
  delivered: z.boolean(),
  statusCode: z.number().int().optional(),
  error: z.string().optional(),
});

/** `200` of a preview: the body and headers the endpoint would receive (signature headers named, not computed). */
export const endpointPreviewSchema = z.strictObject({
  body: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]),
  headers: z.record(z.string(), z.string()),
});

/** `202` of an endpoint test: no outcome yet; the delivery's status while it waits. */
export const endpointTestPendingSchema = z.strictObject({
  eventId: z.string(),
  delivered: z.literal(false),
  status: deliveryStatusSchema.optional(),
  error: z.string(),
});

export const jobStartedSchema = z.strictObject({ jobId: z.string() });

export const eventAcceptedSchema = z.strictObject({
  id: z.string(),
  workflowId: z.string(),
  duplicate: z.boolean(),
});

const deliverySnapshotSchema = z.strictObject({
  id: z.string(),
  endpointId: z.string(),
  status: deliveryStatusSchema,
  attempts: z.number().int().min(0),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  deliveredAt: timestamp.optional(),
  reason: z.string().optional(),
  /** Status `coalesced`: the later event of the same call and type delivered in its place. */
  coalescedBy: z.string().optional(),
});

export const eventSnapshotSchema = z.strictObject({
  id: z.string(),
  type: z.string(),
  status: z.enum(EVENT_STATUSES),
  deliveries: z.array(deliverySnapshotSchema),
});

export const catalogSchema = z.strictObject({
  data: z.array(
    z.strictObject({
      type: eventTypeSchema,
      description: z.string(),
      sensitiveFields: z.array(z.string()),
      /** The JSON Schema of the type's `data`. */
      schema: z.record(z.string(), z.unknown()),
      /** A realistic `data` of the type, valid against `schema`; what `POST /v1/endpoints/{id}/test { type }` sends. */
      example: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const deliveryListSchema = z.strictObject({
  data: z.array(
    z.strictObject({
      id: deliveryIdSchema,
      eventId: z.string(),
      endpointId: z.string(),
      eventType: z.string(),
      status: deliveryStatusSchema,
      createdAt: timestamp,
      attempts: z.number().int().min(0),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const attemptSchema = z.strictObject({
  attempt: z.number().int(),
  target: z.enum(DELIVERY_TARGETS),
  url: z.string(),
  startedAt: timestamp,
  durationMs: z.number().min(0),
  statusCode: z.number().int().optional(),
  failure: z.enum(FAILURE_CLASSES).optional(),
  /** The first 4 KiB of the receiver's answer. */
  responseBody: z.string().optional(),
});

export const deliverySchema = z.strictObject({
  id: deliveryIdSchema,
  eventId: z.string(),
  endpointId: z.string(),
  eventType: z.string(),
  status: deliveryStatusSchema,
  reason: z.string().optional(),
  deliveredAt: timestamp.optional(),
  batchId: z.string().optional(),
  /** Status `coalesced`: the later event of the same call and type delivered in its place. */
  coalescedBy: z.string().optional(),
  attempts: z.array(attemptSchema),
});

/** `GET /v1/calls/:callId`: the call's captured context and its events, oldest first. */
export const callSchema = z.strictObject({
  callId: z.string(),
  /** Values captured from endpoints' answers; what the call's later events carry as `data.context`. */
  context: z.record(z.string(), z.union([z.string().max(MAX_CAPTURED_CHARS), z.number(), z.boolean()])),
  events: z.array(z.strictObject({ id: z.string(), type: z.string(), status: z.enum(EVENT_STATUSES) })),
});

export const deliveryActionSchema = z.strictObject({
  id: z.string(),
  action: z.enum(['resend', 'discard']),
  /** resend: `continued` in the delivery's workflow, or `restarted` as a new attempt series. */
  mode: z.enum(['continued', 'restarted']).optional(),
});

export const jobProgressSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  endpointId: z.string().optional(),
  tenantId: z.string().optional(),
  status: z.enum(JOB_STATUSES),
  total: z.number().int().min(0),
  done: z.number().int().min(0),
  failed: z.number().int().min(0),
});

export const auditListSchema = z.strictObject({
  data: z.array(
    z.strictObject({
      id: z.number().int(),
      at: timestamp,
      keyId: z.string().meta({ description: 'The id of the API key that acted; `reference` for a reference URL fetched (no key).' }),
      action: z.string(),
      target: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const availability = z.enum(['ok', 'unavailable']);

export const healthSchema = z.strictObject({
  status: availability,
  store: availability,
  temporal: availability,
});

/** `/codec/encode` and `/codec/decode` answer payloads in the proto-JSON form they take. */
export const codecPayloadsSchema = z.strictObject({
  payloads: z.array(z.strictObject({ metadata: z.record(z.string(), z.string()), data: z.string().optional() })),
});

// ---- the types kept elsewhere must fit the documented shapes (a compile error otherwise) ----

type Fits<Actual, Documented> = Actual extends Documented ? true : never;
const typesFit: [
  Fits<Omit<DeliverySnapshot, 'batchId'>, z.input<typeof deliverySnapshotSchema>>,
  Fits<Omit<EventSnapshot, 'deliveries'>, Omit<z.input<typeof eventSnapshotSchema>, 'deliveries'>>,
  Fits<JobProgress, z.input<typeof jobProgressSchema>>,
  Fits<Omit<AttemptRecord, 'deliveryId'>, z.input<typeof attemptSchema>>,
  Fits<AuditRecord, z.input<typeof auditListSchema>['data'][number]>,
  Fits<CallEvent, z.input<typeof callSchema>['events'][number]>,
] = [true, true, true, true, true, true];
void typesFit;
