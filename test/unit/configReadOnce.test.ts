import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Config is read and validated once, at start: src/config.ts is the only code that touches the
 * process environment. Entry points (the service, the bench, the chaos suite, scripts, the test
 * helpers) take it from processEnvironment() there and parse it with a zod schema.
 */

const ROOT = path.resolve(__dirname, '../..');
const SEARCHED = ['src', 'activities', 'workflows', 'test', 'bench', 'scripts'];
const THE_READER = 'src/config.ts';
// Spelt as a pattern so this file does not name what it looks for.
const PROCESS_ENV = /\bprocess\s*(\.\s*env\b|\[\s*['"`]env['"`]\s*\])/;

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(c|m)?ts$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('config is read once', () => {
  it(`reads the process environment only in ${THE_READER}`, () => {
    const readers = SEARCHED.flatMap((dir) => tsFiles(path.join(ROOT, dir)))
      .map((file) => path.relative(ROOT, file).split(path.sep).join('/'))
      .filter((file) => PROCESS_ENV.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    assert.deepEqual(readers, [THE_READER], 'only src/config.ts may read the process environment: take it from processEnvironment() and validate it');
  });
});
