/**
 * Payload scoping: which parts of an event's `data` an endpoint receives.
 *
 * Data minimisation is the default: sensitive fields (as marked in the catalog) leave only
 * when an endpoint explicitly opts in with `sensitive: true`, and `include` cannot be used
 * to sneak them out.
 */
import { z } from 'zod';
import { sensitivePaths, type EventType } from './catalog';
import { pickPaths, splitPath, withoutPath } from '../paths';

// callId is how a receiver ties an event to a call, so no scope can remove it.
const ALWAYS_KEPT = 'callId';

const dataPath = z
  .string()
  .max(256)
  .regex(/^[^.]+(\.[^.]+)*$/, { message: 'must be a dot path like "extracted.preferred_date"' })
  // Paths are relative to data; "data.x" would silently match nothing.
  .refine((path) => splitPath(path)[0] !== 'data', {
    message: 'paths are relative to data: write "callId", not "data.callId"',
  });

/** How an approved endpoint gets the catalog's links to stored call data (recordings, transcripts). */
export const REFERENCE_URL_MODES = ['signed', 'raw'] as const;
export const REFERENCE_TTL_SECONDS_DEFAULT = 86_400;

export const payloadScopeSchema = z.strictObject({
  include: z.array(dataPath).max(100).optional(),
  exclude: z
    .array(
      dataPath.refine((path) => splitPath(path)[0] !== ALWAYS_KEPT, {
        message: 'callId is always delivered and cannot be excluded',
      }),
    )
    .max(100)
    .optional(),
  sensitive: z.boolean().optional(),
  referenceUrls: z.enum(REFERENCE_URL_MODES).optional().meta({
    description:
      'With `sensitive: true`, how links to stored call data (recordings, transcripts) arrive: `signed` (default), a reference URL ' +
      'of this service that redirects to the link while valid; `raw`, the link itself.',
  }),
  referenceTtlSeconds: z.number().int().min(1).max(30 * 86_400).optional().meta({
    description: "How long a reference URL answers, in seconds (default 86400); never past the endpoint's reviewWindowMs.",
  }),
});

export type PayloadScope = z.infer<typeof payloadScopeSchema>;

/** A path at or under a sensitive field is sensitive: `extracted.x` leaks part of `extracted`. */
function sensitiveRoot(type: EventType, path: string): string | undefined {
  return sensitivePaths(type).find((root) => path === root || path.startsWith(`${root}.`));
}

export function scopeData(
  type: EventType,
  data: Record<string, unknown>,
  scope: PayloadScope | undefined,
): Record<string, unknown> {
  // Deep copy so the result shares nothing with the stored event; later stages may mutate it.
  let out = structuredClone(data);
  // Sensitive fields go first, so a later `include` has nothing sensitive left to pick.
  if (!scope?.sensitive) {
    for (const path of sensitivePaths(type)) out = withoutPath(out, path);
  }
  if (scope?.include) {
    out = pickPaths(out, [ALWAYS_KEPT, ...scope.include]) as Record<string, unknown>;
  }
  for (const path of scope?.exclude ?? []) {
    if (splitPath(path)[0] !== ALWAYS_KEPT) out = withoutPath(out, path);
  }
  return out;
}

/**
 * Why a scope would not do what its author likely meant. An `include` naming a sensitive
 * field without `sensitive: true` would silently deliver nothing for it, which usually means
 * someone expects PHI to arrive; we'd rather make them decide explicitly.
 */
export function scopeProblems(types: readonly EventType[], scope: PayloadScope | undefined): string[] {
  if (!scope?.include || scope.sensitive) return [];
  const problems: string[] = [];
  for (const path of new Set(scope.include)) {
    const owners = types.filter((type) => sensitiveRoot(type, path) !== undefined);
    if (owners.length === 0) continue;
    problems.push(
      `payloadScope.include names "${path}", a sensitive field of ${owners.join(', ')}: ` +
        'set payloadScope.sensitive to true only if this endpoint is approved to hold it',
    );
  }
  return problems;
}
