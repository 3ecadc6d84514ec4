import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every relative link in the README, docs/ and bench/*.md points at a file or folder that
 * exists, and every `#anchor` into a markdown file at one of its headings (GitHub's slugs).
 * Links inside code (fenced blocks, inline code spans) are not links and are not checked.
 */

const ROOT = path.resolve(__dirname, '../..');

/** The markdown files whose links are checked. */
function documents(root: string): string[] {
  const docsDir = path.join(root, 'docs');
  const benchDir = path.join(root, 'bench');
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return entry.name.endsWith('.md') ? [full] : [];
    });
  return [
    path.join(root, 'README.md'),
    ...(fs.existsSync(benchDir) ? fs.readdirSync(benchDir).filter((name) => name.endsWith('.md')).sort().map((name) => path.join(benchDir, name)) : []),
    ...(fs.existsSync(docsDir) ? walk(docsDir).sort() : []),
  ].filter((file) => fs.existsSync(file));
}

/** The lines of a markdown file that are not inside a fenced code block, with their numbers. */
function proseLines(text: string): Array<{ line: string; number: number }> {
  const lines = text.split(/\r?\n/);
  const prose: Array<{ line: string; number: number }> = [];
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length && line.trim() === opening[1]) fence = undefined;
      return;
    }
    if (opening) {
      fence = opening[1];
      return;
    }
    prose.push({ line, number: i + 1 });
  });
  return prose;
}

/** A line with its inline code spans blanked out (same length, so columns stay meaningful). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => ' '.repeat(span.length));
}

export interface Link {
  file: string;
  line: number;
  text: string;
  target: string;
}

/** Inline links and images `[text](target "title")`, and reference definitions `[id]: target`. */
export function findLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const { line, number } of proseLines(fs.readFileSync(file, 'utf8'))) {
    const prose = withoutCodeSpans(line);
    const inline = /!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
    for (const m of prose.matchAll(inline)) {
      links.push({ file, line: number, text: m[1], target: m[2].replace(/^<|>$/g, '') });
    }
    const definition = /^\s{0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)/.exec(prose);
    if (definition) links.push({ file, line: number, text: definition[1], target: definition[2].replace(/^<|>$/g, '') });
  }
  return links;
}

/** The text a heading renders to: code spans keep their content, links their text, emphasis goes. */
function renderedHeading(raw: string): string {
  return raw
    .replace(/<[^>]+>/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_all, _ticks, code: string) => code.trim())
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\p{L}\p{N}])[*_](.+?)[*_](?=[^\p{L}\p{N}]|$)/gu, '$1$2')
    .trim();
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return renderedHeading(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown file offers: its headings' slugs (repeats numbered -1, -2, …), and explicit ids. */
export function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (slug: string) => {
    const n = seen.get(slug);
    seen.set(slug, (n ?? -1) + 1);
    anchors.add(n === undefined ? slug : `${slug}-${n + 1}`);
  };
  const prose = proseLines(fs.readFileSync(file, 'utf8'));
  prose.forEach(({ line, number }, i) => {
    const atx = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (atx) add(githubSlug(atx[1]));
    // A setext heading: a line of text underlined by === or --- on the next line.
    const next = prose[i + 1];
    if (!atx && next && next.number === number + 1 && line.trim() !== '' && !/^\s*[|>*+-]/.test(line) && /^\s{0,3}(=+|-+)\s*$/.test(next.line)) {
      add(githubSlug(line.trim()));
    }
    for (const m of line.matchAll(/<a\s+[^>]*(?:name|id)\s*=\s*"([^"]+)"/gi)) anchors.add(m[1]);
  });
  return anchors;
}

/** Why a link is broken, or undefined when it resolves. External links (a scheme, or //host) are not checked. */
export function brokenReason(link: Link, root = ROOT): string | undefined {
  const { target } = link;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const rawPath = hash >= 0 ? target.slice(0, hash) : target;
  const anchor = hash >= 0 ? target.slice(hash + 1) : undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.split('?')[0]);
  } catch {
    return 'the path is not valid percent-encoding';
  }
  if (decoded.startsWith('/')) return 'an absolute path: use a path relative to this file';
  const resolved = decoded === '' ? link.file : path.resolve(path.dirname(link.file), decoded);
  if (!fs.existsSync(resolved)) return `${path.relative(root, resolved)} does not exist`;
  if (anchor === undefined) return undefined;
  if (anchor === '') return 'an empty anchor';
  if (!resolved.endsWith('.md') || fs.statSync(resolved).isDirectory()) return undefined;
  let wanted: string;
  try {
    wanted = decodeURIComponent(anchor).toLowerCase();
  } catch {
    return 'the anchor is not valid percent-encoding';
  }
  if (!anchorsOf(resolved).has(wanted)) return `${path.relative(root, resolved)} has no heading with the anchor #${anchor}`;
  return undefined;
}

function brokenLinks(root: string): string[] {
  return documents(root).flatMap((file) =>
    findLinks(file).flatMap((link) => {
      const reason = brokenReason(link, root);
      return reason ? [`${path.relative(root, file)}:${link.line}: [${link.text}](${link.target}): ${reason}`] : [];
    }),
  );
}

describe('documentation links', () => {
  it('every relative link in README.md, docs/ and bench/README.md resolves, anchors included', () => {
    const files = documents(ROOT);
    assert.ok(files.some((f) => f.endsWith(`${path.sep}README.md`)), 'README.md is checked');
    const broken = brokenLinks(ROOT);
    assert.deepEqual(broken, [], `broken links:\n  ${broken.join('\n  ')}`);
  });

  it('finds a broken link, a broken anchor, and ignores links in code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-docs-'));
    try {
      fs.mkdirSync(path.join(dir, 'docs'));
      fs.writeFileSync(
        path.join(dir, 'docs', 'a.md'),
        [
          '# A page',
          '',
          '## Flow control, batching and ordering',
          '',
          '## Chaos: `npm run test:chaos`',
          '',
          '## Flow control, batching and ordering',
          '',
          'Fine: [self](#a-page), [b](b.md), [dup](#flow-control-batching-and-ordering-1), [code](#chaos-npm-run-testchaos).',
          'Fine: [web](https://example.com/x#y), [dir](../docs/), [up](../README.md#readme-title).',
          'Broken: [gone](missing.md) and [anchor](b.md#nowhere).',
          'Not links: `[x](nothing.md)`.',
          '',
          '```sh',
          'echo "[y](nothing-either.md)"',
          '```',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(dir, 'docs', 'b.md'), '# B\n\n[back](a.md#a-page)\n');
      fs.writeFileSync(path.join(dir, 'README.md'), '# README title\n\n[docs](docs/a.md#flow-control-batching-and-ordering) [bad](docs/c.md)\n');
      const broken = brokenLinks(dir);
      assert.deepEqual(broken, [
        'README.md:3: [bad](docs/c.md): docs/c.md does not exist',
        'docs/a.md:11: [gone](missing.md): docs/missing.md does not exist',
        'docs/a.md:11: [anchor](b.md#nowhere): docs/b.md has no heading with the anchor #nowhere',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes anchors the way GitHub does', () => {
    assert.equal(githubSlug('Resend, discard, recover'), 'resend-discard-recover');
    assert.equal(githubSlug('CI: .ci/run'), 'ci-cirun');
    assert.equal(githubSlug('API fuzzing: npm run test:fuzz'), 'api-fuzzing-npm-run-testfuzz');
    assert.equal(githubSlug('Seeing decoded payloads: the codec server'), 'seeing-decoded-payloads-the-codec-server');
    assert.equal(githubSlug('`deliver` and the **store**'), 'deliver-and-the-store');
    assert.equal(githubSlug('Where call data can be, and for how long'), 'where-call-data-can-be-and-for-how-long');
    assert.equal(githubSlug('snake_case stays'), 'snake_case-stays');
  });
});
