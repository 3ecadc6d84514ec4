/**
 * The event catalog: every webhook event type and the shape of its `data`.
 *
 * One record keyed by type is the single place a type is defined; ingestion validation,
 * payload scoping and `GET /v1/event-types` all read from it, so they cannot drift apart.
 * Sensitive (PHI/PII/PCI) fields are marked on the schema itself and everything else
 * (scoping, the catalog listing, JSON Schema) derives from those marks.
 */
import { z } from 'zod';
import { OPERATIONAL_EVENT_TYPES } from '../../workflows/contract';
import { hasPath } from '../paths';
import { catalogExamples } from './catalogExamples';

/** The JSON Schema key that flags a sensitive field; `x-` so validators ignore it. */
const SENSITIVE_KEY = 'x-sensitive';
/** Flags a sensitive link an approved endpoint receives as a reference (docs/data-protection.md). */
const REFERENCE_KEY = 'x-reference';

/**
 * Marks a field as sensitive. The mark lives in zod's metadata so `z.toJSONSchema` emits it
 * for free and there is no second list to keep in sync.
 */
export function sensitive<T extends z.ZodType>(schema: T): T {
  return schema.meta({ [SENSITIVE_KEY]: true });
}

/** A sensitive link to stored call data: delivered as a service-minted reference unless the endpoint asks for it raw. */
function referencedLink<T extends z.ZodType>(schema: T): T {
  return schema.meta({ [SENSITIVE_KEY]: true, [REFERENCE_KEY]: true });
}

// Offsets are accepted because agents report local times; the JSON Schema says date-time either way.
const datetime = () => z.iso.datetime({ offset: true });
const nonEmpty = () => z.string().min(1);
// Only http(s): a reference a receiver will fetch must never be javascript:, file:, etc.
const httpUrl = () => z.url({ protocol: /^https?$/ });
const priority = z.enum(['urgent', 'high', 'normal', 'low']);

const ianaTimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as America/New_York' },
);

/** Free map of what the agent collected; values are whatever the agent's tools produced. */
const extracted = () => sensitive(z.record(z.string(), z.unknown()));

const transcriptTurn = z.strictObject({
  role: z.enum(['agent', 'caller', 'system']),
  text: z.string(),
  at: datetime().optional(),
});

/** Fields every event carries, so receivers can always correlate to a call and their own records. */
function eventData<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({
    callId: nonEmpty(),
    agentId: z.string().optional(),
    // Customer identifiers (e.g. a CRM lead id) echoed back untouched; not sensitive by contract.
    metadata: z.record(z.string(), z.string()).optional(),
    ...shape,
  });
}

const definitions = {
  call_started: {
    description: 'A call was connected to a voice agent.',
    data: eventData({
      direction: z.enum(['inbound', 'outbound']),
      from: sensitive(z.string()),
      to: sensitive(z.string()),
      startedAt: datetime(),
    }),
  },
  call_completed: {
    description: 'A call ended; carries its outcome and, if scoped in, what was said and collected.',
    data: eventData({
      startedAt: datetime(),
      endedAt: datetime(),
      durationMs: z.number().int().min(0),
      endedReason: z.string(),
      disposition: z.string(),
      intent: z.string().optional(),
      summary: sensitive(z.string()).optional(),
      extracted: extracted().optional(),
      transcript: sensitive(z.array(transcriptTurn)).optional(),
      recordingUrl: referencedLink(httpUrl()).optional(),
    }),
  },
  disposition_updated: {
    description: "A call's disposition changed after the call, e.g. by post-call review.",
    data: eventData({
      disposition: z.string(),
      previousDisposition: z.string().optional(),
      extracted: extracted().optional(),
    }),
  },
  escalation_requested: {
    description: 'The agent asked for a human to take over or follow up.',
    data: eventData({
      priority,
      reasonCode: z.string(),
      queue: z.string().optional(),
      slaDueAt: datetime().optional(),
      summary: sensitive(z.string()).optional(),
    }),
  },
  callback_scheduled: {
    description: 'The caller agreed to be called back within a time window.',
    data: eventData({
      // Opaque handle so receivers can dedupe contacts without holding the phone number.
      contactToken: nonEmpty(),
      window: z
        .strictObject({ start: datetime(), end: datetime(), timezone: ianaTimeZone })
        .refine((w) => Date.parse(w.end) > Date.parse(w.start), {
          message: 'end must be after start',
          path: ['end'],
        }),
      queue: z.string().optional(),
      // Optional: the contact token exists so a receiver can follow up without ever holding the number.
      phone: sensitive(z.string()).optional(),
    }),
  },
  case_created: {
    description: 'A case or ticket was opened for the call, possibly in an external system.',
    data: eventData({
      caseId: nonEmpty(),
      externalSystem: z.string().optional(),
      externalRef: z.string().optional(),
      category: z.string().optional(),
      priority: priority.optional(),
      description: sensitive(z.string()).optional(),
    }),
  },
  transcription_ready: {
    description: "A call's transcript is available to fetch.",
    data: eventData({
      transcriptId: nonEmpty(),
      language: z.string(),
      url: referencedLink(httpUrl()),
      expiresAt: datetime().optional(),
      text: sensitive(z.string()).optional(),
    }),
  },
  recording_ready: {
    description: "A call's recording is available to fetch (by reference: audio never travels in a webhook).",
    data: eventData({
      recordingId: nonEmpty(),
      format: z.string(),
      durationMs: z.number().int().min(0),
      url: referencedLink(httpUrl()),
      expiresAt: datetime().optional(),
    }),
  },
  endpoint_test: {
    description: 'A synthetic event sent on request to check an endpoint receives and verifies webhooks.',
    // No agentId/metadata: nothing real produced it.
    data: z.strictObject({ callId: nonEmpty(), message: z.string().optional() }),
  },
  // Operational events: the service's own, about deliveries and endpoints. They carry ids,
  // statuses and reasons, never the original payload. Only endpoints that name them get them.
  delivery_exhausted: {
    description: 'A delivery used up its attempts (and fallback) and now awaits review.',
    data: deliveryFacts(),
  },
  delivery_recovered: {
    description: 'A delivery that had been in review was delivered.',
    data: deliveryFacts(),
  },
  endpoint_disabled: {
    description: 'An endpoint was disabled: automatically after failing for too long, by a 410 Gone, or by an operator.',
    data: z.strictObject({ endpointId: nonEmpty(), reason: z.string(), disabledAt: datetime() }),
  },
  endpoint_enabled: {
    description: 'A disabled endpoint was enabled again; its held deliveries are released.',
    data: z.strictObject({ endpointId: nonEmpty(), enabledAt: datetime() }),
  },
} satisfies Record<string, { description: string; data: z.ZodObject }>;

/** What operational events say about a delivery: identifiers and state only. */
function deliveryFacts() {
  return z.strictObject({
    callId: z.string().optional(),
    deliveryId: nonEmpty(),
    eventId: nonEmpty(),
    eventType: nonEmpty(),
    endpointId: nonEmpty(),
    status: z.string(),
    attempts: z.number().int().min(0),
    reason: z.string().optional(),
  });
}

type Definitions = typeof definitions;
export type EventType = keyof Definitions;
export type EventData<T extends EventType> = z.output<Definitions[T]['data']>;

export const eventTypes = Object.keys(definitions) as readonly EventType[];
export const eventTypeSchema = z.enum(eventTypes as [EventType, ...EventType[]]);

/** Types the service makes itself; producers may not post them. */
export const serviceEventTypes: readonly EventType[] = ['endpoint_test', ...OPERATIONAL_EVENT_TYPES];
/** Types a producer may post to `POST /v1/events`. */
export const producerEventTypes = eventTypes.filter((t) => !serviceEventTypes.includes(t));
export const producerEventTypeSchema = z.enum(producerEventTypes as [EventType, ...EventType[]]);

// The workflow's list of operational types must name catalog types: this fails to compile otherwise.
void (OPERATIONAL_EVENT_TYPES satisfies readonly EventType[]);

export function dataSchemaFor<T extends EventType>(type: T): Definitions[T]['data'] {
  return definitions[type].data;
}

// ---- sensitive paths, derived from the marks ----

function isMarked(schema: z.ZodType, key: string): boolean {
  return schema.meta()?.[key] === true;
}

/** Strips optional/nullable/default wrappers; a mark may sit on either side of `.optional()`. */
function unwrap(schema: z.ZodType, key: string): { inner: z.ZodType; marked: boolean } {
  let current = schema;
  let marked = isMarked(current, key);
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodReadonly
  ) {
    current = current.unwrap() as z.ZodType;
    marked ||= isMarked(current, key);
  }
  return { inner: current, marked };
}

function collectMarked(object: z.ZodObject, mark: string, prefix: string, out: string[]): string[] {
  for (const [key, field] of Object.entries(object.shape)) {
    const { inner, marked } = unwrap(field as z.ZodType, mark);
    const path = prefix + key;
    // A marked field is marked as a whole; its children need no separate listing.
    if (marked) out.push(path);
    else if (inner instanceof z.ZodObject) collectMarked(inner, mark, `${path}.`, out);
  }
  return out;
}

const markedByType = (mark: string) =>
  new Map<EventType, readonly string[]>(eventTypes.map((type) => [type, Object.freeze(collectMarked(definitions[type].data, mark, '', []))]));
const sensitiveByType = markedByType(SENSITIVE_KEY);
const referencedByType = markedByType(REFERENCE_KEY);

/** Dot paths relative to `data`, e.g. ["from", "to"] for call_started. */
export function sensitivePaths(type: EventType): string[] {
  return [...(sensitiveByType.get(type) ?? [])];
}

/** The sensitive links an approved endpoint gets as references: ["recordingUrl"] for call_completed. */
export function referencedPaths(type: EventType): string[] {
  return [...(referencedByType.get(type) ?? [])];
}

// ---- validation with messages a caller can act on ----

export type DataIssue = { path: string; message: string };
export type ParseEventDataResult<T> =
  | { success: true; data: T }
  | { success: false; error: { message: string; details: DataIssue[] } };

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>(
    (acc, segment) => (typeof segment === 'number' ? `${acc}[${segment}]` : `${acc}.${String(segment)}`),
    'data',
  );
}

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
};

function describeIssue(issue: z.core.$ZodIssue, input: unknown): DataIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      // One entry per key so each can be located and removed.
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
    case 'invalid_type': {
      const missing = issue.path.length > 0 && !hasPath(input, issue.path.map(String).join('.'));
      const expected = typeNames[issue.expected] ?? issue.expected;
      return [{ path, message: missing ? 'required' : `must be ${expected}` }];
    }
    case 'invalid_value':
      return [{ path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'invalid_format':
      if (issue.format === 'datetime') return [{ path, message: 'must be an ISO 8601 datetime, e.g. 2025-01-31T09:30:00Z' }];
      if (issue.format === 'url') return [{ path, message: 'must be an http(s) URL' }];
      return [{ path, message: `must be a valid ${issue.format}` }];
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return [{ path, message: 'must not be empty' }];
      return [{ path, message: `must be at least ${String(issue.minimum)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

export function parseEventData<T extends EventType>(type: T, data: unknown): ParseEventDataResult<EventData<T>> {
  const result = definitions[type].data.safeParse(data);
  if (result.success) return { success: true, data: result.data as EventData<T> };
  const details = result.error.issues.flatMap((issue) => describeIssue(issue, data));
  const message = `invalid data for ${type}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`;
  return { success: false, error: { message, details } };
}

// ---- the public listing ----

export type JSONSchema = z.core.JSONSchema.BaseSchema;
export type CatalogEntry = {
  type: EventType;
  description: string;
  sensitiveFields: string[];
  schema: JSONSchema;
  /** A realistic `data` of the type (catalogExamples.ts); what an endpoint test of the type sends. */
  example: Record<string, unknown>;
};

/** A fresh copy of the type's example `data`, safe for the caller to change. */
export function exampleData(type: EventType): Record<string, unknown> {
  return structuredClone(catalogExamples[type]) as Record<string, unknown>;
}

/** Built on demand: cheap, and callers get a fresh object they may decorate. */
export function catalog(): CatalogEntry[] {
  return eventTypes.map((type) => ({
    type,
    description: definitions[type].description,
    sensitiveFields: sensitivePaths(type),
    schema: z.toJSONSchema(definitions[type].data),
    example: exampleData(type),
  }));
}
