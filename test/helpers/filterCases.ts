import assert from 'node:assert/strict';
import { compileFilter, filterSchema, matchesFilter, type Filter } from '../../src/domain/filter';
import { CallbackEventsError } from '../../src/errors';

/** The event and helpers the filter tests share. */

export const event = {
  id: 'evt_1',
  type: 'call.completed',
  timestamp: '2025-03-01T12:00:00.000Z',
  data: {
    disposition: 'qualified',
    durationMs: 45000,
    score: 0.8,
    flagged: false,
    note: null,
    tags: ['vip', 'callback'],
    extracted: {
      preferred_date: '2025-03-04',
      contact: { name: 'Ada', phone: '+15550100' },
    },
  },
};

export const match = (filter: Filter, ev: unknown = event): boolean => matchesFilter(filter, ev);

/** Messages of the issues filterSchema reports (empty when valid). */
export function problems(input: unknown): string[] {
  const result = filterSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

export function rejects(input: unknown, message: string): void {
  assert.deepEqual(problems(input), [message]);
  assert.throws(() => compileFilter(input as Filter), (error: unknown) => {
    assert.ok(error instanceof CallbackEventsError && error.code === 'invalid_filter', String(error));
    assert.ok(error.message.includes(message), error.message);
    return true;
  });
}

/** A filter whose `data.durationMs` condition sits `depth` documents down through `$and`. */
export function nestedAnd(depth: number): Filter {
  let filter: Filter = { 'data.durationMs': 45000 };
  for (let i = 1; i < depth; i++) filter = { $and: [filter] };
  return filter;
}

/** A field condition wrapped in `nots` field-level `$not`s. */
export function nestedNot(nots: number): Filter {
  let ops: Record<string, unknown> = { $eq: 1 };
  for (let i = 0; i < nots; i++) ops = { $not: ops };
  return { 'data.durationMs': ops } as Filter;
}
