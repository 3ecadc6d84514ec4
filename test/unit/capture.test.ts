import assert from 'node:assert/strict';
import { captureSchema, captureValues, MAX_CAPTURE_NAMES, MAX_CAPTURED_CHARS } from '../../src/domain/capture';
import { endpointCreateSchema } from '../../src/domain/endpoint';

describe('capture rules', () => {
  it('accepts identifier names and RFC 6901 pointers, escapes included', () => {
    const rules = { caseId: '/id', case_number: '/case/number', first: '/items/0/id', slash: '/a~1b', tilde: '/a~0b', whole: '' };
    assert.deepEqual(captureSchema.parse(rules), rules);
  });

  it('refuses pointers that are not RFC 6901, names that are not identifiers, and more than 20 names', () => {
    for (const pointer of ['id', '/a~2', '/a~', '#/id']) assert.equal(captureSchema.safeParse({ caseId: pointer }).success, false, pointer);
    for (const name of ['1case', 'case-id', 'case id', '']) assert.equal(captureSchema.safeParse({ [name]: '/id' }).success, false, name);
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i}`, `/v${i}`]));
    assert.equal(captureSchema.safeParse(many(MAX_CAPTURE_NAMES)).success, true);
    assert.equal(captureSchema.safeParse(many(MAX_CAPTURE_NAMES + 1)).success, false);
    assert.equal(endpointCreateSchema.safeParse({ url: 'https://x.example.com', capture: many(MAX_CAPTURE_NAMES + 1) }).success, false);
  });
});

describe('captureValues', () => {
  it('reads strings, numbers and booleans, as they are', () => {
    const body = JSON.stringify({ id: 'CASE-1042', case: { number: 1042, open: true }, items: [{ id: 'I-1' }], 'a/b': 'slashed' });
    assert.deepEqual(
      captureValues({ caseId: '/id', number: '/case/number', open: '/case/open', item: '/items/0/id', slashed: '/a~1b' }, body),
      { caseId: 'CASE-1042', number: 1042, open: true, item: 'I-1', slashed: 'slashed' },
    );
  });

  it('captures nothing from a body that is not JSON, or not an object or array', () => {
    for (const body of ['OK', '', '"CASE-1"', '42', 'null', '{"id":']) assert.deepEqual(captureValues({ caseId: '/id', whole: '' }, body), {}, body);
  });

  it('captures nothing for a pointer that finds nothing, null, an object, an array or an over-long string', () => {
    const body = JSON.stringify({ nul: null, obj: { a: 1 }, arr: [1], long: 'x'.repeat(MAX_CAPTURED_CHARS + 1), edge: 'y'.repeat(MAX_CAPTURED_CHARS) });
    assert.deepEqual(
      captureValues({ missing: '/nope', deep: '/obj/a/b', nul: '/nul', obj: '/obj', arr: '/arr', long: '/long', edge: '/edge', whole: '' }, body),
      { edge: 'y'.repeat(MAX_CAPTURED_CHARS) },
    );
  });

  it('finds only what the answer holds: nothing inherited from objects or arrays', () => {
    const body = JSON.stringify({ obj: {}, arr: [1, 2] });
    assert.deepEqual(captureValues({ a: '/constructor/name', b: '/obj/toString', c: '/arr/length', d: '/__proto__/x' }, body), {});
  });
});
