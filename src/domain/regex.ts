import { RE2JS } from 're2js';

/**
 * Filter regexes on RE2 (re2js, a pure JavaScript port): matching takes time linear in the input,
 * whatever the pattern, so no tenant's `$regex` can hold the worker's event loop. RE2 has no
 * backtracking, hence no backreferences and no lookaround; those are refused by name, so the
 * author learns what to rewrite rather than reading a parser's complaint.
 */

/** Flags a `$regex` may carry (`$options`), as RE2 spells them. `u` is accepted: RE2 always matches code points. */
const FLAGS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0,
};
export const REGEX_FLAGS = Object.keys(FLAGS).join('');

export interface LinearRegex {
  test(input: string): boolean;
}

/** Groups that open with one of these need backtracking; the construct, as the author reads it. */
const LOOKAROUND: ReadonlyArray<[opening: string, construct: string]> = [
  ['(?<=', 'a lookbehind (?<=…)'],
  ['(?<!', 'a negative lookbehind (?<!…)'],
  ['(?=', 'a lookahead (?=…)'],
  ['(?!', 'a negative lookahead (?!…)'],
];

/**
 * The first construct of JavaScript regex syntax that RE2 cannot run, named; undefined when there
 * is none. Escapes and character classes are skipped, so `[(?=]` or `\(?=` are plain characters.
 */
export function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${/^\d+/.exec(pattern.slice(i + 1))![0]})`;
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return 'a named backreference (\\k<…>)';
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      const found = LOOKAROUND.find(([opening]) => pattern.startsWith(opening, i));
      if (found) return found[1];
    }
  }
  return undefined;
}

/**
 * Compiles `pattern` (JavaScript syntax, translated to RE2's: `\uXXXX`, `\cX`, `(?<name>…)`) with
 * `flags` from REGEX_FLAGS. Answers the problem instead when RE2 cannot run it.
 */
export function compileLinearRegex(pattern: string, flags: string): { regex: LinearRegex } | { problem: string } {
  const construct = unsupportedConstruct(pattern);
  if (construct) {
    return { problem: `uses ${construct}, which the linear-time regex engine (RE2) cannot run` };
  }
  let mask = 0;
  for (const [i, flag] of [...flags].entries()) {
    if (!(flag in FLAGS)) return { problem: `flag "${flag}" is not one of "${REGEX_FLAGS}"` };
    if (flags.indexOf(flag) !== i) return { problem: `is not a valid regular expression: flag "${flag}" is repeated` };
    mask |= FLAGS[flag];
  }
  try {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), mask);
    return { regex: { test: (input) => compiled.test(input) } };
  } catch (error) {
    return { problem: `is not a valid regular expression: ${(error as Error).message}` };
  }
}
