import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

/**
 * workflows/ runs in Temporal's deterministic sandbox: it may import the SDK's workflow-safe
 * packages and other workflow code, and types from anywhere (erased at build), nothing else.
 * A value import of a Node module or of service code would be bundled into every replay.
 */

const WORKFLOWS = path.resolve(__dirname, '../../workflows');
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [full] : [];
  });
}

interface ModuleReference {
  line: number;
  text: string;
  specifier: string;
  typeOnly: boolean;
}

/**
 * Every module a file names: `import … from`, `export … from`, bare `import '…'`, dynamic
 * `import('…')` and `require('…')`. Statements may span lines; comments are blanked first (keeping
 * the line count) so a commented-out import neither counts nor hides one.
 */
export function moduleReferences(source: string): ModuleReference[] {
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, ' '));
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  const found: ModuleReference[] = [];
  const patterns = [
    // import x from '…', import { … } from '…', import type …, export { … } from '…', export * from '…'
    /\b(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/g,
    // import '…' (for its side effects)
    /\bimport\s*['"]([^'"]+)['"]/g,
    // import('…'), require('…')
    /\b(?:import|require)\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const [i, pattern] of patterns.entries()) {
    for (const m of code.matchAll(pattern)) {
      const start = m.index ?? 0;
      const specifier = i === 0 ? m[4] : m[1];
      // `import type { … }` and `import { type a, type b }` are erased; so is `export type { … } from`.
      const named = i === 0 ? m[3].trim() : '';
      const inlineTypesOnly =
        /^\{[\s\S]*\}$/.test(named) &&
        named
          .slice(1, -1)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .every((s) => s.startsWith('type '));
      const typeOnly = i === 0 && (m[2] !== undefined || inlineTypesOnly);
      const line = lineOf(start);
      found.push({ line, text: source.split('\n')[line - 1].trim(), specifier, typeOnly });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function problem(file: string, ref: ModuleReference): string | undefined {
  if (ALLOWED_PACKAGES.has(ref.specifier)) return undefined;
  if (ref.specifier.startsWith('.')) {
    const target = path.resolve(path.dirname(file), ref.specifier);
    if (target === WORKFLOWS || target.startsWith(WORKFLOWS + path.sep)) return undefined;
  }
  if (ref.typeOnly) return undefined;
  return `${path.relative(path.dirname(WORKFLOWS), file)}:${ref.line}: ${ref.text}`;
}

describe('workflows/ imports', () => {
  it('names only @temporalio/workflow, @temporalio/common, other workflow files, or types', () => {
    const files = sources(WORKFLOWS);
    assert.ok(files.length > 5, `workflow sources found under ${WORKFLOWS}`);
    const problems = files.flatMap((file) =>
      moduleReferences(fs.readFileSync(file, 'utf8')).flatMap((ref) => problem(file, ref) ?? []),
    );
    assert.deepEqual(problems, [], `imports not allowed in workflow code:\n${problems.join('\n')}`);
  });

  it('reads every form of import, and tells type-only ones apart', () => {
    const refs = moduleReferences(
      [
        "import { sleep } from '@temporalio/workflow';",
        "import type { Activities } from '../activities';",
        "import { type A, type B } from '../src/x';",
        "import { type A, b } from '../src/y';",
        "export * from 'node:fs';",
        "export type { T } from '../src/t';",
        'import {',
        '  a,',
        "} from 'node:crypto';",
        "import 'node:path';",
        "const m = await import('node:os');",
        "const r = require('undici');",
        "// import { x } from 'node:commented';",
        "/* import { y } from 'node:blocked'; */",
      ].join('\n'),
    );
    assert.deepEqual(
      refs.map((r) => [r.line, r.specifier, r.typeOnly]),
      [
        [1, '@temporalio/workflow', false],
        [2, '../activities', true],
        [3, '../src/x', true],
        [4, '../src/y', false],
        [5, 'node:fs', false],
        [6, '../src/t', true],
        [7, 'node:crypto', false],
        [10, 'node:path', false],
        [11, 'node:os', false],
        [12, 'undici', false],
      ],
    );
  });
});
