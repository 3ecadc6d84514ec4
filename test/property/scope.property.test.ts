/**
 * Property tests for src/domain/scope.ts `scopeData`, checked against reference rules written here:
 * sensitive fields never leave without `sensitive: true`, callId always does, `include` bounds
 * the top-level keys, excluded paths are gone, what is delivered is an unshared copy of (part
 * of) the input, everything allowed is delivered, and neither the input nor
 * Object.prototype is ever modified.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eventTypes, sensitivePaths, type EventType } from '../../src/domain/catalog';
import { scopeData, type PayloadScope } from '../../src/domain/scope';

const RUNS = 400;
const TYPE: EventType = 'call_completed';

// ---- reference helpers (independent of src/paths.ts) ----

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lookup(root: unknown, path: string): { found: boolean; value?: unknown } {
  let cur = root;
  for (const seg of path.split('.')) {
    if (!isObj(cur) || !Object.keys(cur).includes(seg)) return { found: false };
    cur = cur[seg];
  }
  return { found: true, value: cur };
}

/** True when one path is the other or lies under it, segment-wise. */
function related(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  const n = Math.min(x.length, y.length);
  return x.slice(0, n).every((s, i) => s === y[i]);
}

/** `part` is `whole` with zero or more object keys (at any depth) left out. */
function isPartOf(part: unknown, whole: unknown): boolean {
  if (isObj(part)) {
    return isObj(whole) && Object.keys(part).every((k) => Object.keys(whole).includes(k) && isPartOf(part[k], whole[k]));
  }
  try {
    assert.deepStrictEqual(part, whole);
    return true;
  } catch {
    return false;
  }
}

function objectsIn(v: unknown, into = new Set<object>()): Set<object> {
  if (typeof v === 'object' && v !== null) {
    into.add(v);
    for (const k of Object.keys(v)) objectsIn((v as Record<string, unknown>)[k], into);
  }
  return into;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

// ---- generators ----

const at = fc.constantFrom('2025-01-31T09:30:00Z', '2025-01-31T09:35:00+01:00');
const text = fc.string({ maxLength: 8 });
const small = fc.oneof(text, fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constant(null));

// Keys include `__proto__`, as JSON.parse produces it for a body like {"extracted":{"__proto__":…}}.
const odd = fc.constantFrom('__proto__', 'constructor', 'toString');
const nested = fc.dictionary(fc.oneof(fc.constantFrom('deep', 'x', 'polluted'), odd), small, { maxKeys: 2 });

const dataArb = fc
  .record(
    {
      callId: fc.string({ minLength: 1, maxLength: 8 }),
      agentId: text,
      metadata: fc.dictionary(fc.oneof(fc.constantFrom('crmLeadId', 'other'), odd), text, { maxKeys: 3 }),
      startedAt: at,
      endedAt: at,
      durationMs: fc.nat(100000),
      endedReason: text,
      disposition: fc.constantFrom('qualified', 'appointment_booked', 'no_answer'),
      intent: text,
      summary: text,
      extracted: fc.dictionary(
        fc.oneof(fc.constantFrom('dob', 'preferred_date', 'nested'), odd),
        fc.oneof(small, nested),
        { maxKeys: 4 },
      ),
      transcript: fc.array(fc.record({ role: fc.constantFrom('agent', 'caller', 'system'), text }), { maxLength: 3 }),
      recordingUrl: fc.constant('https://media.example.com/r/1'),
      extra: fc.oneof(small, nested),
    },
    { requiredKeys: ['callId'] },
  )
  // Through JSON, as events arrive: `__proto__` keys become own properties, as with a real body.
  .map((data) => JSON.parse(JSON.stringify(data)) as Record<string, unknown>);

const PATHS = [
  // known
  'callId', 'agentId', 'metadata', 'metadata.crmLeadId', 'metadata.other', 'startedAt', 'durationMs',
  'disposition', 'intent', 'summary', 'extracted', 'extracted.dob', 'extracted.nested', 'extracted.nested.deep',
  'transcript', 'transcript.0', 'recordingUrl', 'extra', 'extra.deep',
  // unknown, or through non-objects
  'nope', 'nope.deep', 'durationMs.x', 'callId.x', 'summary.x', 'data.callId',
  'constructor', 'toString', '__proto__', 'metadata.__proto__', 'metadata.__proto__.polluted',
  'extracted.__proto__', 'extracted.__proto__.polluted', 'extracted.nested.__proto__',
];
const pathList = fc.array(fc.constantFrom(...PATHS), { maxLength: 5 });
const scopeArb: fc.Arbitrary<PayloadScope | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 1 },
  {
    arbitrary: fc.record({ include: pathList, exclude: pathList, sensitive: fc.boolean() }, { requiredKeys: [] }),
    weight: 10,
  },
);

// ---- the property ----

function checkScope(data: Record<string, unknown>, scope: PayloadScope | undefined): void {
  const before = structuredClone(data);
  const protoBefore = Object.getOwnPropertyNames(Object.prototype);
  let result: Record<string, unknown>;
  let polluted: string[];
  try {
    result = scopeData(TYPE, deepFreeze(data), scope);
  } finally {
    // Never let a polluted prototype leak into the rest of the test run.
    polluted = Object.getOwnPropertyNames(Object.prototype).filter((k) => !protoBefore.includes(k));
    for (const k of polluted) delete (Object.prototype as Record<string, unknown>)[k];
  }
  assert.deepEqual(polluted, [], 'Object.prototype was modified');
  assert.deepStrictEqual(data, before, 'the input was modified');

  const sensitive = sensitivePaths(TYPE);
  const isSensitive = (p: string) => sensitive.some((s) => p === s || p.startsWith(`${s}.`));
  const excludes = (scope?.exclude ?? []).filter((p) => p.split('.')[0] !== 'callId');

  // callId always delivered, unchanged.
  assert.ok(Object.keys(result).includes('callId'), 'callId missing');
  assert.equal(result.callId, data.callId);
  // No sensitive field unless opted in.
  if (!scope?.sensitive) for (const s of sensitive) assert.ok(!lookup(result, s).found, `sensitive ${s} delivered`);
  // include bounds the top-level keys.
  if (scope?.include) {
    const roots = new Set(['callId', ...scope.include.map((p) => p.split('.')[0])]);
    for (const k of Object.keys(result)) assert.ok(roots.has(k), `key ${k} not included`);
  }
  // Excluded paths are gone.
  for (const e of excludes) assert.ok(!lookup(result, e).found, `excluded ${e} delivered`);
  // Only (parts of) the input, and a copy that shares no object with it.
  assert.ok(isPartOf(result, data), 'result is not a part of the input');
  const inputObjects = objectsIn(data);
  for (const o of objectsIn(result)) assert.ok(!inputObjects.has(o), 'result shares an object with the input');
  // Everything allowed is delivered whole.
  const wanted = scope?.include ? ['callId', ...scope.include] : Object.keys(data);
  for (const p of wanted) {
    const source = lookup(data, p);
    if (!source.found) continue;
    if (!scope?.sensitive && isSensitive(p)) continue;
    if (excludes.some((e) => related(e, p))) continue;
    const got = lookup(result, p);
    assert.ok(got.found, `allowed path ${p} missing`);
    assert.deepStrictEqual(got.value, source.value, `allowed path ${p} changed`);
  }
}

describe('scope (property)', () => {
  it('call_completed is in the catalog with sensitive fields', () => {
    assert.ok(eventTypes.includes(TYPE));
    assert.ok(sensitivePaths(TYPE).length > 0);
  });

  it('scopeData obeys the reference rules for random data and scopes', () => {
    fc.assert(fc.property(dataArb, scopeArb, (data, scope) => checkScope(data, scope)), {
      numRuns: RUNS,
      // Also always tried: a JSON body whose `__proto__` key an include walks through.
      examples: [
        [
          JSON.parse('{"callId":"c","extracted":{"__proto__":{"polluted":"yes"}}}') as Record<string, unknown>,
          { include: ['extracted.__proto__.polluted'], sensitive: true },
        ],
      ],
    });
  });
});
