/**
 * Dot paths into plain JSON values ("data.extracted.preferred_date").
 * Filters and payload scoping address fields the same way, so they share this module.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function splitPath(path: string): string[] {
  return path.split('.');
}

function lookup(root: unknown, path: string): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const key of splitPath(path)) {
    if (!isRecord(current) || !Object.prototype.hasOwnProperty.call(current, key)) return { found: false, value: undefined };
    current = current[key];
  }
  return { found: true, value: current };
}

/** The value at `path`, or `undefined` when any segment is missing. */
export function getPath(root: unknown, path: string): unknown {
  return lookup(root, path).value;
}

export function hasPath(root: unknown, path: string): boolean {
  return lookup(root, path).found;
}

/** A copy of `root` without `path`; the input is never mutated. */
export function withoutPath<T>(root: T, path: string): T {
  const [head, ...rest] = splitPath(path);
  if (!isRecord(root) || !Object.prototype.hasOwnProperty.call(root, head)) return root;
  const copy: Record<string, unknown> = { ...root };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutPath(copy[head], rest.join('.'));
  return copy as T;
}

/**
 * Own data properties only: a key named `__proto__` in parsed JSON must stay a plain field, never
 * reach an object's prototype (assignment would call the `__proto__` setter).
 */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A copy holding only the given paths of `root` (missing paths are skipped). */
export function pickPaths<T>(root: T, paths: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const found = lookup(root, path);
    if (!found.found) continue;
    const keys = splitPath(path);
    let target = out;
    for (const key of keys.slice(0, -1)) {
      const existing = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
      if (!isRecord(existing)) define(target, key, {});
      target = target[key] as Record<string, unknown>;
    }
    define(target, keys[keys.length - 1], found.value);
  }
  return out as Partial<T>;
}
