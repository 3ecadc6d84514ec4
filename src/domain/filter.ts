/**
 * Endpoint filters: Mongo-style conditions on dot paths of an event `{ id, type, timestamp, data }`.
 *
 *   { "data.disposition": { "$in": ["qualified"] }, "data.durationMs": { "$gte": 30000 } }
 *
 * Semantics, deliberately stricter than MongoDB so a filter never matches by accident:
 * - Keys of a document are ANDed; operators on one field are ANDed; a bare value means `$eq`.
 * - A condition on a missing field is false, including `$ne`, `$nin` and `$not`. The only
 *   condition that holds on a missing field is `$exists: false`.
 * - `null` is a value like any other: `{ "data.x": null }` does not match a missing `data.x`.
 * - No implicit array traversal: `$eq` on an array field compares the whole array.
 * - `$gt/$gte/$lt/$lte` compare number with number and string with string (ISO timestamps
 *   order correctly as strings); any other pairing is false.
 * - `$not` exists at two levels:
 *   - on a field, it takes an operator object (`{ "data.x": { "$not": { "$gt": 3 } } }`) and,
 *     like every field condition, is false when the field is missing;
 *   - at document level, it takes a filter document and is its plain logical complement
 *     (`{ "$not": { "type": "call.test" } }`), so it also matches events lacking the field.
 *     This is the "everything except" form; use the field form for "present and not ...".
 *
 * Validation and compilation are one pass (`analyze`), so whatever the schema accepts is
 * exactly what `compileFilter` can build; regexes are compiled there, never per event, on RE2
 * (src/domain/regex.ts): linear time in the input, so a filter cannot stall the worker.
 */
import { z } from 'zod';
import { getPath, hasPath, type Json } from '../paths';
import { CallbackEventsError } from '../errors';
import { compileLinearRegex, REGEX_FLAGS, type LinearRegex } from './regex';

export type Comparable = number | string;

/** Operators on one field. */
export interface FieldOperators {
  $eq?: Json;
  $ne?: Json;
  $in?: Json[];
  $nin?: Json[];
  $gt?: Comparable;
  $gte?: Comparable;
  $lt?: Comparable;
  $lte?: Comparable;
  $exists?: boolean;
  $regex?: string;
  /** Flags for `$regex`, from `imsu` (`g`/`y` would make `test` stateful; RE2 has neither anyway). */
  $options?: string;
  $not?: FieldOperators;
}

export type FieldCondition = Json | FieldOperators;

export interface Filter {
  $and?: Filter[];
  $or?: Filter[];
  $not?: Filter;
  [path: string]: FieldCondition | Filter | Filter[] | undefined;
}

export type EventPredicate = (event: unknown) => boolean;

/** Documents and field-level `$not` objects, counted from the root document (depth 1). */
export const MAX_FILTER_DEPTH = 8;
/** Bounds the size of a value compared with `$eq`/`$in`, and the recursion that walks it. */
export const MAX_VALUE_DEPTH = 32;
/**
 * RE2 runs in time linear in the input (times the pattern's size); these caps keep that product
 * small on every event. Strings over the input cap do not match.
 */
export const MAX_REGEX_LENGTH = 256;
export const MAX_REGEX_INPUT_LENGTH = 8192;

const COMPARISONS = ['$gt', '$gte', '$lt', '$lte'] as const;

function invalidFilter(issues: FilterIssue[]): CallbackEventsError<FilterIssue[]> {
  return new CallbackEventsError('invalid_filter', `invalid filter: ${issues.map((issue) => issue.message).join('; ')}`, { details: issues });
}

export interface FilterIssue {
  /** Machine path for zod (`['$and', 0, 'data.x', '$in']`). */
  path: (string | number)[];
  /** Includes the readable path, e.g. `filter["data.x"].$in must be an array`. */
  message: string;
}

/** Compiled field condition: its value when the field is missing, and its test when present. */
interface FieldTest {
  missing: boolean;
  present: (value: unknown) => boolean;
}

type Path = (string | number)[];

function describe(path: Path): string {
  let out = 'filter';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (part.startsWith('$')) out += `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJson(value: unknown, depth = 1): value is Json {
  if (depth > MAX_VALUE_DEPTH) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (isPlainObject(value)) return Object.values(value).every((item) => isJson(item, depth + 1));
  return false;
}

/** Structural equality of JSON values; key order is irrelevant, array order is not. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && jsonEqual(left[key], right[key]));
}

function compare(op: (typeof COMPARISONS)[number], value: unknown, operand: Comparable): boolean {
  if (typeof value !== typeof operand) return false;
  const v = value as Comparable;
  switch (op) {
    case '$gt': return v > operand;
    case '$gte': return v >= operand;
    case '$lt': return v < operand;
    case '$lte': return v <= operand;
  }
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('$'));
}

class Analyzer {
  readonly issues: FilterIssue[] = [];

  private fail(path: Path, problem: string): void {
    this.issues.push({ path, message: `${describe(path)} ${problem}` });
  }

  /** Returns a predicate that is meaningful only when no issues were recorded. */
  document(value: unknown, path: Path, depth: number): EventPredicate {
    const never: EventPredicate = () => false;
    if (depth > MAX_FILTER_DEPTH) {
      this.fail(path, `exceeds the maximum nesting depth of ${MAX_FILTER_DEPTH}`);
      return never;
    }
    if (!isPlainObject(value)) {
      this.fail(path, 'must be an object');
      return never;
    }
    const parts: EventPredicate[] = [];
    for (const [key, condition] of Object.entries(value)) {
      const at = [...path, key];
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(condition) || condition.length === 0) {
          this.fail(at, 'must be a non-empty array of filter documents');
          continue;
        }
        const children = condition.map((child, i) => this.document(child, [...at, i], depth + 1));
        parts.push(key === '$and'
          ? (event) => children.every((child) => child(event))
          : (event) => children.some((child) => child(event)));
      } else if (key === '$not') {
        const child = this.document(condition, at, depth + 1);
        parts.push((event) => !child(event));
      } else if (key.startsWith('$')) {
        this.fail(at, 'is not a known operator (document level allows $and, $or, $not)');
      } else if (key.split('.').some((segment) => segment === '')) {
        this.fail(at, 'is not a valid dot path');
      } else {
        parts.push(this.field(key, condition, at, depth));
      }
    }
    return (event) => parts.every((part) => part(event));
  }

  private field(fieldPath: string, condition: unknown, path: Path, depth: number): EventPredicate {
    let test: FieldTest;
    if (isOperatorObject(condition)) {
      test = this.operators(condition, path, depth);
    } else {
      if (!isJson(condition)) this.fail(path, `must be a JSON value (at most ${MAX_VALUE_DEPTH} levels deep)`);
      test = { missing: false, present: (value) => jsonEqual(value, condition) };
    }
    return (event) => (hasPath(event, fieldPath) ? test.present(getPath(event, fieldPath)) : test.missing);
  }

  private operators(ops: Record<string, unknown>, path: Path, depth: number): FieldTest {
    const tests: FieldTest[] = [];
    const jsonOperand = (at: Path, operand: unknown): operand is Json => {
      if (isJson(operand)) return true;
      this.fail(at, `must be a JSON value (at most ${MAX_VALUE_DEPTH} levels deep)`);
      return false;
    };

    for (const [op, operand] of Object.entries(ops)) {
      const at = [...path, op];
      switch (op) {
        case '$eq':
        case '$ne': {
          if (!jsonOperand(at, operand)) break;
          const negate = op === '$ne';
          tests.push({ missing: false, present: (value) => jsonEqual(value, operand) !== negate });
          break;
        }
        case '$in':
        case '$nin': {
          if (!Array.isArray(operand)) {
            this.fail(at, 'must be an array');
            break;
          }
          if (!operand.every((item, i) => jsonOperand([...at, i], item))) break;
          const negate = op === '$nin';
          tests.push({ missing: false, present: (value) => operand.some((item) => jsonEqual(value, item)) !== negate });
          break;
        }
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte': {
          if (typeof operand === 'string' || (typeof operand === 'number' && Number.isFinite(operand))) {
            tests.push({ missing: false, present: (value) => compare(op, value, operand) });
          } else {
            this.fail(at, 'must be a number or a string');
          }
          break;
        }
        case '$exists': {
          if (typeof operand !== 'boolean') {
            this.fail(at, 'must be a boolean');
            break;
          }
          tests.push({ missing: !operand, present: () => operand });
          break;
        }
        case '$regex': {
          const regex = this.regex(operand, ops.$options, path);
          if (regex) {
            tests.push({
              missing: false,
              present: (value) => typeof value === 'string' && value.length <= MAX_REGEX_INPUT_LENGTH && regex.test(value),
            });
          }
          break;
        }
        case '$options':
          if (!Object.prototype.hasOwnProperty.call(ops, '$regex')) this.fail(at, 'requires $regex');
          break; // validated together with $regex
        case '$not': {
          if (depth + 1 > MAX_FILTER_DEPTH) {
            this.fail(at, `exceeds the maximum nesting depth of ${MAX_FILTER_DEPTH}`);
            break;
          }
          if (!isPlainObject(operand) || Object.keys(operand).length === 0
            || !Object.keys(operand).every((key) => key.startsWith('$'))) {
            this.fail(at, 'must be a non-empty operator object, e.g. { "$eq": 1 }');
            break;
          }
          const inner = this.operators(operand, at, depth + 1);
          // Missing stays false whatever the inner condition: negation applies to values only.
          tests.push({ missing: false, present: (value) => !inner.present(value) });
          break;
        }
        default:
          this.fail(at, op.startsWith('$')
            ? 'is not a known operator'
            : 'mixes a plain key with operators; use $eq to match an object literally');
      }
    }
    return {
      missing: tests.every((test) => test.missing),
      present: (value) => tests.every((test) => test.present(value)),
    };
  }

  private regex(pattern: unknown, options: unknown, path: Path): LinearRegex | undefined {
    if (typeof pattern !== 'string') {
      this.fail([...path, '$regex'], 'must be a string');
      return undefined;
    }
    if (pattern.length > MAX_REGEX_LENGTH) {
      this.fail([...path, '$regex'], `must be at most ${MAX_REGEX_LENGTH} characters`);
      return undefined;
    }
    if (options !== undefined && (typeof options !== 'string' || [...options].some((flag) => !REGEX_FLAGS.includes(flag)))) {
      this.fail([...path, '$options'], `must be a string of flags from "${REGEX_FLAGS}"`);
      return undefined;
    }
    const compiled = compileLinearRegex(pattern, options ?? '');
    if ('problem' in compiled) {
      this.fail([...path, '$regex'], compiled.problem);
      return undefined;
    }
    return compiled.regex;
  }
}

function analyze(filter: unknown): { issues: FilterIssue[]; predicate: EventPredicate } {
  const analyzer = new Analyzer();
  const predicate = analyzer.document(filter, [], 1);
  return { issues: analyzer.issues, predicate };
}

/**
 * Validates a filter as stored/received (plain JSON); reports every problem with its path.
 * The operator grammar is checked by code, so JSON Schema (the OpenAPI document) only learns
 * that a filter is an object.
 */
export const filterSchema = z
  .custom<Filter>()
  .superRefine((value, ctx) => {
    for (const issue of analyze(value).issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  })
  .meta({
    type: 'object',
    description: 'Mongo-style conditions on dot paths of the delivered body ($eq $ne $in $nin $gt $gte $lt $lte $exists $regex $and $or $not). $regex runs on RE2: no backreferences, no lookaround.',
  });

/**
 * Builds the hot-path predicate once per filter (e.g. when an endpoint is loaded).
 * Throws an `invalid_filter` error (the issues as details) for a filter `filterSchema` would reject, so an unvalidated
 * filter can never silently match everything or nothing.
 */
export function compileFilter(filter: Filter): EventPredicate {
  const { issues, predicate } = analyze(filter);
  if (issues.length > 0) throw invalidFilter(issues);
  return predicate;
}

/** One-off evaluation (tests, "try this filter" tools); compiles on every call. */
export function matchesFilter(filter: Filter, event: unknown): boolean {
  return compileFilter(filter)(event);
}
