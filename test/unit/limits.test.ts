import assert from 'node:assert/strict';
import { jsonDepthExceeds } from '../../src/api/limits';

/** The byte scan that refuses deeply nested JSON before it is parsed. */

const exceeds = (text: string, max: number) => jsonDepthExceeds(Buffer.from(text, 'utf8'), max);
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays, and stops exactly past the limit', () => {
    assert.equal(exceeds(nested(32), 32), false);
    assert.equal(exceeds(nested(33), 32), true);
    assert.equal(exceeds('{"a":{"b":[{"c":1}]}}', 4), false);
    assert.equal(exceeds('{"a":{"b":[{"c":1}]}}', 3), true);
  });

  it('measures depth, not the number of brackets', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`;
    assert.equal(exceeds(wide, 3), false);
    assert.equal(exceeds(wide, 2), true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    assert.equal(exceeds(JSON.stringify({ s: '[[[[[[{{{{{{' }), 1), false);
    assert.equal(exceeds(JSON.stringify({ s: 'quote \\" then [[[[[[ and \\\\' }), 1), false);
    // After an escaped backslash the string ends; the brackets that follow count.
    assert.equal(exceeds('{"s":"\\\\","t":[[[1]]]}', 3), true);
  });

  it('is not confused by multi-byte characters', () => {
    assert.equal(exceeds(JSON.stringify({ s: 'caf\u00e9 \u4e2d\u6587 \ud83d\ude00 [[[[' }), 1), false);
    assert.equal(exceeds(`{"\u00e9":${nested(5)}}`, 5), true);
  });

  it('refuses 100,000 levels', () => {
    assert.equal(exceeds(nested(100_000), 32), true);
  });
});
