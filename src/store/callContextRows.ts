import { MAX_CAPTURE_NAMES, type CallContext, type CapturedValue } from '../domain/capture';

/**
 * The call context as both stores keep it: one row per (call, name), the value as JSON text so a
 * number stays a number, and the one rule of what a capture may add.
 */

export interface CallContextRow {
  name: string;
  value: string;
}

export function toCallContext(rows: CallContextRow[]): CallContext {
  const context: CallContext = {};
  for (const row of rows) context[row.name] = JSON.parse(row.value) as CapturedValue;
  return context;
}

/**
 * The values a capture writes, given the names the call holds already: a held name is overwritten
 * (last write wins); a new one only while the call holds fewer than MAX_CAPTURE_NAMES, so a call
 * that many endpoints capture for stays bounded.
 */
export function admittedValues(held: ReadonlySet<string>, values: CallContext): { name: string; value: string }[] {
  const names = new Set(held);
  const admitted: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!names.has(name) && names.size >= MAX_CAPTURE_NAMES) continue;
    names.add(name);
    admitted.push({ name, value: JSON.stringify(value) });
  }
  return admitted;
}
