import assert from 'node:assert/strict';
import { matchesFilter, MAX_REGEX_INPUT_LENGTH, filterSchema, type Filter } from '../../src/domain/filter';
import { unsupportedConstruct } from '../../src/domain/regex';

/** `$regex` on RE2 (src/domain/regex.ts): linear time, and what needs backtracking refused by name. */

const match = (filter: Filter, event: unknown): boolean => matchesFilter(filter, event);

function rejects(filter: unknown, message: string): void {
  const result = filterSchema.safeParse(filter);
  assert.deepEqual(result.success ? [] : result.error.issues.map((issue) => issue.message), [message]);
}

describe('filter $regex on RE2', () => {
  it('runs in linear time: a catastrophic backtracking pattern answers on a long input', () => {
    // A backtracking engine takes about 2^n steps on this (seconds from n = 27); RE2 takes n.
    const input = `${'a'.repeat(MAX_REGEX_INPUT_LENGTH - 1)}!`;
    assert.equal(match({ 'data.text': { $regex: '(a+)+$' } }, { data: { text: input } }), false);
    assert.equal(match({ 'data.text': { $regex: '^(a|aa)+!$' } }, { data: { text: input } }), true);
    assert.equal(match({ 'data.text': { $not: { $regex: '(x+x+)+y' } } }, { data: { text: 'x'.repeat(MAX_REGEX_INPUT_LENGTH) } }), true);
  });

  it('takes JavaScript syntax that RE2 spells differently', () => {
    assert.equal(match({ 'data.text': { $regex: '^\\u0041\\u{1F600}$' } }, { data: { text: 'A\u{1F600}' } }), true);
    assert.equal(match({ 'data.text': { $regex: '^(?<word>\\w+)/\\cA$' } }, { data: { text: 'abc/\u0001' } }), true);
    assert.equal(match({ 'data.text': { $regex: '^\\p{Lu}' } }, { data: { text: 'Élan' } }), true, 'RE2 matches code points, with or without "u"');
  });

  it('refuses what RE2 cannot run, naming the construct', () => {
    const refused: [string, string][] = [
      ['(a)\\1', 'a backreference (\\1)'],
      ['(?<x>a)\\k<x>', 'a named backreference (\\k<…>)'],
      ['a(?=b)', 'a lookahead (?=…)'],
      ['a(?!b)', 'a negative lookahead (?!…)'],
      ['(?<=a)b', 'a lookbehind (?<=…)'],
      ['(?<!a)b', 'a negative lookbehind (?<!…)'],
    ];
    for (const [pattern, construct] of refused) {
      rejects({ 'data.x': { $regex: pattern } }, `filter["data.x"].$regex uses ${construct}, which the linear-time regex engine (RE2) cannot run`);
    }
    // The same characters escaped, or inside a class, are plain characters.
    assert.equal(match({ 'data.text': { $regex: '\\(\\?=[(?!]\\\\1' } }, { data: { text: '(?=!\\1' } }), true);
  });

  it('finds constructs outside escapes and classes only', () => {
    assert.equal(unsupportedConstruct('^[a-z]+(?:-[a-z]+)*$'), undefined);
    assert.equal(unsupportedConstruct('[\\]\\1(?=]'), undefined);
    assert.equal(unsupportedConstruct('\\\\1'), undefined, 'an escaped backslash, then a digit');
    assert.equal(unsupportedConstruct('\\\\\\12'), 'a backreference (\\12)');
    assert.equal(unsupportedConstruct('[a](?!x)'), 'a negative lookahead (?!…)');
  });
});
