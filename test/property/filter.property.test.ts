/**
 * Property tests for src/domain/filter.ts: the compiled predicate agrees with a small, independent
 * reference evaluator of the documented semantics (see the header of src/domain/filter.ts), every
 * generated valid filter passes `filterSchema`, and junk is either rejected by the schema or
 * compiles and evaluates without throwing.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilter, filterSchema, type Filter } from '../../src/domain/filter';
import { hasCode } from '../../src/errors';

const RUNS = 400;

// ---- reference evaluator (deliberately naive; shares no code with src/domain/filter.ts) ----

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refLookup(root: unknown, path: string): { found: boolean; value?: unknown } {
  let cur = root;
  for (const seg of path.split('.')) {
    if (!isObj(cur) || !Object.keys(cur).includes(seg)) return { found: false };
    cur = cur[seg];
  }
  return { found: true, value: cur };
}

function refEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => refEqual(x, b[i]));
  }
  if (isObj(a) || isObj(b)) {
    if (!isObj(a) || !isObj(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && refEqual(a[k], b[k]));
  }
  return a === b;
}

function refOrder(op: string, v: unknown, x: unknown): boolean {
  const ok = (typeof v === 'number' && typeof x === 'number') || (typeof v === 'string' && typeof x === 'string');
  if (!ok) return false;
  const a = v as number | string;
  const b = x as number | string;
  if (op === '$gt') return a > b;
  if (op === '$gte') return a >= b;
  if (op === '$lt') return a < b;
  return a <= b;
}

function isOperatorDoc(c: unknown): c is Record<string, unknown> {
  return isObj(c) && Object.keys(c).some((k) => k.startsWith('$'));
}

/** Operators of one field, all ANDed. A missing field satisfies only `$exists: false`. */
function refOps(ops: Record<string, unknown>, found: boolean, value: unknown): boolean {
  return Object.entries(ops).every(([op, x]) => {
    if (op === '$options') return true; // a modifier of $regex, not a condition
    if (!found) return op === '$exists' && x === false;
    switch (op) {
      case '$eq': return refEqual(value, x);
      case '$ne': return !refEqual(value, x);
      case '$in': return (x as unknown[]).some((y) => refEqual(value, y));
      case '$nin': return !(x as unknown[]).some((y) => refEqual(value, y));
      case '$gt': case '$gte': case '$lt': case '$lte': return refOrder(op, value, x);
      case '$exists': return x === true;
      case '$regex': return typeof value === 'string' && new RegExp(x as string, (ops.$options as string | undefined) ?? '').test(value);
      case '$not': return !refOps(x as Record<string, unknown>, true, value);
      default: throw new Error(`reference: unknown operator ${op}`);
    }
  });
}

function refMatch(filter: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(filter).every(([key, c]) => {
    if (key === '$and') return (c as Record<string, unknown>[]).every((f) => refMatch(f, event));
    if (key === '$or') return (c as Record<string, unknown>[]).some((f) => refMatch(f, event));
    if (key === '$not') return !refMatch(c as Record<string, unknown>, event);
    const { found, value } = refLookup(event, key);
    if (isOperatorDoc(c)) return refOps(c, found, value);
    return found && refEqual(value, c); // a bare value means $eq; missing is false
  });
}

// ---- generators ----

// Small pools so that equality and ordering actually hit.
const scalar = fc.oneof(
  fc.constantFrom<number>(-1, 0, -0, 1, 2, 2.5, 10),
  fc.constantFrom('', 'a', 'b', 'ab', 'B', '10', '2', '2025-01-31T09:30:00Z', '2025-02-01T00:00:00Z'),
  fc.boolean(),
  fc.constant(null),
);
type J = null | boolean | number | string | J[] | { [k: string]: J };
// Objects keyed from a small set, generated in random key order, so deep equality must ignore key order.
const { value: jsonValue } = fc.letrec<{ value: J }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('value'), { maxKeys: 3 }),
  ),
}));

// Paths the filters address; the events below give each of them present and missing cases.
const PATHS = ['type', 'data.a', 'data.b', 'data.n.x', 'data.n.y', 'data.arr', 'data.n', 'data.constructor'];

const eventArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.record(
      {
        id: fc.constant('evt_1'),
        type: fc.constantFrom('call_completed', 'call_started', 'a'),
        timestamp: fc.constant('2025-01-31T09:30:00Z'),
        data: fc.oneof(
          {
            arbitrary: fc.record(
              {
                a: jsonValue,
                b: jsonValue,
                // Sometimes an object (so data.n.x can exist), sometimes a scalar/array (so it cannot).
                n: fc.oneof(fc.dictionary(fc.constantFrom('x', 'y'), jsonValue, { maxKeys: 2 }), jsonValue),
                arr: fc.array(scalar, { maxLength: 3 }),
              },
              { requiredKeys: [] },
            ),
            weight: 8,
          },
          { arbitrary: jsonValue, weight: 1 },
        ),
      },
      { requiredKeys: ['id'] },
    ),
    weight: 12,
  },
  { arbitrary: fc.constantFrom<unknown>(null, 'event', 42, [], {}), weight: 1 },
);

const REGEXES = ['^a', 'b$', 'a|B', '.*', '^$', '^\\d+$', 'T09'];

type Ops = Record<string, unknown>;
const opsArb: fc.Arbitrary<Ops> = fc.letrec<{ ops: Ops }>((tie) => {
  const single = fc.oneof(
    fc.record({ $eq: jsonValue }),
    fc.record({ $ne: jsonValue }),
    fc.record({ $in: fc.array(jsonValue, { maxLength: 4 }) }),
    fc.record({ $nin: fc.array(jsonValue, { maxLength: 4 }) }),
    fc.record({ $gt: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 2.5), fc.constantFrom('', 'a', 'b', '2', '2025-02-01T00:00:00Z')) }),
    fc.record({ $gte: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 2.5), fc.constantFrom('', 'a', 'b', '2', '2025-02-01T00:00:00Z')) }),
    fc.record({ $lt: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 2.5), fc.constantFrom('', 'a', 'b', '2', '2025-02-01T00:00:00Z')) }),
    fc.record({ $lte: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 2.5), fc.constantFrom('', 'a', 'b', '2', '2025-02-01T00:00:00Z')) }),
    fc.record({ $exists: fc.boolean() }),
    fc.record(
      { $regex: fc.constantFrom(...REGEXES), $options: fc.constantFrom('', 'i', 'm', 's', 'u', 'imsu') },
      { requiredKeys: ['$regex'] },
    ),
    fc.record({ $not: tie('ops') }),
  );
  return {
    ops: fc
      .array(single, { minLength: 1, maxLength: 3, depthIdentifier: 'ops' })
      .map((parts) => Object.assign({}, ...parts) as Ops),
  };
}).ops;

// A bare value is $eq, unless it is an object with a `$` key; keep bare objects `$`-free.
const conditionArb = fc.oneof({ arbitrary: opsArb, weight: 3 }, { arbitrary: jsonValue, weight: 1 });

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ doc: Filter }>((tie) => {
  const entry = fc.oneof(
    { depthSize: 'small', maxDepth: 3, depthIdentifier: 'doc' },
    fc.tuple(fc.constantFrom(...PATHS), conditionArb),
    fc.tuple(fc.constant('$and'), fc.array(tie('doc'), { minLength: 1, maxLength: 3 })),
    fc.tuple(fc.constant('$or'), fc.array(tie('doc'), { minLength: 1, maxLength: 3 })),
    fc.tuple(fc.constant('$not'), tie('doc')),
  );
  return {
    doc: fc.array(entry, { minLength: 0, maxLength: 3 }).map((entries) => Object.fromEntries(entries) as Filter),
  };
}).doc;

// ---- properties ----

describe('filter (property)', () => {
  it('every generated valid filter is accepted by filterSchema', () => {
    fc.assert(
      fc.property(filterArb, (filter) => {
        const result = filterSchema.safeParse(filter);
        assert.ok(result.success, JSON.stringify(result.error?.issues));
      }),
      { numRuns: RUNS },
    );
  });

  it('compileFilter(f)(event) agrees with the reference evaluator', () => {
    fc.assert(
      fc.property(filterArb, fc.array(eventArb, { minLength: 1, maxLength: 5 }), (filter, events) => {
        const predicate = compileFilter(filter);
        for (const event of events) {
          assert.equal(predicate(event), refMatch(filter, event), `event ${JSON.stringify(event)}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('junk is either rejected by filterSchema, or compiles and evaluates without throwing', () => {
    const keys = fc.oneof(
      fc.constantFrom(
        ...PATHS, '$and', '$or', '$not', '$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte',
        '$exists', '$regex', '$options', '$where', '$elemMatch', '', 'a..b', '.a', '__proto__', 'constructor',
      ),
      fc.string({ maxLength: 4 }),
    );
    const junk = fc.oneof(
      fc.anything({ key: keys, maxDepth: 4, withNullPrototype: true, withBoxedValues: true, withMap: true, withDate: true }),
      fc.dictionary(keys, fc.oneof(jsonValue, opsArb, fc.anything({ key: keys, maxDepth: 3 })), { maxKeys: 4 }),
      filterArb.map((f) => ({ ...f, $junk: 1 })),
    );
    let accepted = 0;
    fc.assert(
      fc.property(junk, fc.array(eventArb, { maxLength: 3 }), (filter, events) => {
        const parsed = filterSchema.safeParse(filter);
        if (!parsed.success) {
          assert.throws(() => compileFilter(filter as Filter), (err: unknown) => hasCode(err, 'invalid_filter'));
          return;
        }
        accepted += 1;
        const predicate = compileFilter(filter as Filter); // must not throw
        for (const event of events) assert.equal(typeof predicate(event), 'boolean');
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted > 0, 'no junk was accepted; the generator is too narrow to mean anything');
  });
});
