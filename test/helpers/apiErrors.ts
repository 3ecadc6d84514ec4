import assert from 'node:assert/strict';
import type { call } from './stack';

export type ApiResponse = Awaited<ReturnType<typeof call>>;

/**
 * Asserts the API's one error shape, `{ error: { code, message, details? } }` as JSON, with the
 * status and code, and that the message names each fragment.
 */
export function assertError(res: ApiResponse, status: number, code: string, ...fragments: (string | RegExp)[]): void {
  const dump = typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body);
  assert.equal(res.status, status, dump);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, dump);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, dump);
  const { error } = res.body;
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'details'].includes(key), `unexpected error field ${key}: ${dump}`);
  assert.equal(error.code, code, dump);
  assert.equal(typeof error.message, 'string', dump);
  for (const fragment of fragments) {
    if (typeof fragment === 'string') assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
    else assert.match(error.message, fragment);
  }
}
