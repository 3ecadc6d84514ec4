import jsonpointer from 'jsonpointer';
import { z } from 'zod';

/**
 * Capture: values read from an endpoint's 2xx answer (by RFC 6901 JSON pointer) and kept against
 * the event's call, so later events of the call carry them as `data.context` (docs/case-ids.md).
 */

/** The most names one endpoint captures, and one call's context holds. */
export const MAX_CAPTURE_NAMES = 20;
/** The longest string value kept; a longer one is not captured. */
export const MAX_CAPTURED_CHARS = 256;

/** A captured value: a JSON scalar, kept as the receiver answered it. */
export type CapturedValue = string | number | boolean;
export type CallContext = Record<string, CapturedValue>;

const captureName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier: letters, digits and _, not starting with a digit, at most 64 characters');

// RFC 6901: empty, or segments each starting with "/", where "~" is only ever "~0" or "~1".
const jsonPointer = z
  .string()
  .max(512)
  .regex(/^(\/([^~/]|~[01])*)*$/, 'must be a JSON pointer (RFC 6901) such as "/id" or "/case/number"');

export const captureSchema = z
  .record(captureName, jsonPointer)
  .refine((rules) => Object.keys(rules).length <= MAX_CAPTURE_NAMES, `at most ${MAX_CAPTURE_NAMES} names`)
  .meta({
    description: `Names → JSON pointers into the 2xx JSON answer of the endpoint's url; the values found are kept for the event's call and sent with its later events as \`data.context\` (at most ${MAX_CAPTURE_NAMES} names).`,
    example: { caseId: '/id' },
  });

export type CaptureRules = z.infer<typeof captureSchema>;

/**
 * Every object and array becomes a prototype-free map of its own keys, so a pointer finds only
 * what the answer holds: not `/constructor/name` of a plain object, nor `/items/length` of an array.
 */
function ownKeysOnly(_key: string, value: unknown): unknown {
  return typeof value === 'object' && value !== null ? Object.assign(Object.create(null), value) : value;
}

function keepable(value: unknown): value is CapturedValue {
  if (typeof value === 'string') return value.length <= MAX_CAPTURED_CHARS;
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

/**
 * The values `rules` find in a response body. A body that is not a JSON object or array captures
 * nothing; a pointer that finds nothing, null, an object, an array or a string over
 * MAX_CAPTURED_CHARS captures nothing for its name. Never throws.
 */
export function captureValues(rules: CaptureRules, body: string): CallContext {
  let document: unknown;
  try {
    document = JSON.parse(body, ownKeysOnly);
  } catch {
    return {};
  }
  if (typeof document !== 'object' || document === null) return {};
  const captured: CallContext = {};
  for (const [name, pointer] of Object.entries(rules)) {
    const value: unknown = jsonpointer.get(document, pointer);
    if (keepable(value)) captured[name] = value;
  }
  return captured;
}
