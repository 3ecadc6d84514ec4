import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { CONSOLE_CSP, CONSOLE_PATH, consoleRoutes } from '../../src/api/consoleRoutes';
import { listen } from '../helpers/listen';

/**
 * How /console is served, over real HTTP: one page whose every script and style comes from this
 * server (preact, htm and pico.css byte for byte from node_modules, the console's own modules
 * from src/console/), under a Content-Security-Policy of this origin only.
 */

describe('console serving', () => {
  let base: string;
  let close: () => Promise<void>;
  before(async () => {
    const app = express();
    app.use(CONSOLE_PATH, consoleRoutes());
    app.use((_req, res) => {
      res.status(404).end();
    });
    ({ base, close } = await listen(app));
  });
  after(() => close());

  it('serves the page under a self-only CSP, loading nothing from elsewhere', async () => {
    const res = await fetch(`${base}/console`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(csp, CONSOLE_CSP);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((r) => r !== 'data:,');
    assert.ok(refs.length >= 3, html);
    for (const ref of refs) {
      assert.match(ref, /^\/console\//, `${ref} is not served by this server`);
      const asset = await fetch(base + ref);
      assert.equal(asset.status, 200, ref);
      assert.equal(asset.headers.get('content-security-policy'), CONSOLE_CSP);
    }
    // The one inline script is the import map, allowed by its hash alone.
    const inline = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)].filter((m) => m[2].trim() !== '');
    assert.deepEqual(inline.map((m) => m[1].trim()), ['type="importmap"']);
    const digest = (await import('node:crypto')).createHash('sha256').update(inline[0][2]).digest('base64');
    assert.ok(csp.includes(`'sha256-${digest}'`));
    const imports = JSON.parse(inline[0][2]).imports as Record<string, string>;
    assert.deepEqual(Object.keys(imports).sort(), ['htm', 'preact', 'preact/hooks']);
  });

  it('serves preact, htm and pico.css as node_modules holds them', async () => {
    const files: Record<string, string> = {
      '/console/vendor/preact.module.js': path.join(path.dirname(require.resolve('preact')), 'preact.module.js'),
      '/console/vendor/hooks.module.js': path.join(path.dirname(require.resolve('preact/hooks')), 'hooks.module.js'),
      '/console/vendor/htm.module.js': path.join(path.dirname(require.resolve('htm')), 'htm.module.js'),
      '/console/vendor/pico.min.css': require.resolve('@picocss/pico'),
    };
    for (const [url, file] of Object.entries(files)) {
      const res = await fetch(base + url);
      assert.equal(res.status, 200, url);
      assert.equal(await res.text(), fs.readFileSync(file, 'utf8'), url);
      assert.match(res.headers.get('content-type') ?? '', url.endsWith('.css') ? /^text\/css/ : /^(text|application)\/javascript/);
    }
  });

  it("serves every module of src/console, and the statuses from the API's own list", async () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'console');
    for (const name of fs.readdirSync(dir)) {
      const res = await fetch(`${base}/console/app/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(await res.text(), fs.readFileSync(path.join(dir, name), 'utf8'));
    }
    const enums = await (await fetch(`${base}/console/app/enums.js`)).text();
    const { DELIVERY_STATUSES, RESENDABLE_STATUSES } = await import('../../workflows/contract');
    assert.ok(enums.includes(JSON.stringify(DELIVERY_STATUSES)) && enums.includes(JSON.stringify(RESENDABLE_STATUSES)), enums);
  });

  it('serves nothing else: unknown files, other methods and paths out of its folders are not found', async () => {
    for (const [method, url] of [
      ['GET', '/console/vendor/preact.js'],
      ['GET', '/console/vendor/../../package.json'],
      ['GET', '/console/app/../api/consoleRoutes.ts'],
      ['GET', '/console/app/%2e%2e/api/consoleRoutes.ts'],
      ['POST', '/console/app/main.js'],
      ['DELETE', '/console/vendor/pico.min.css'],
    ]) {
      const res = await fetch(base + url, { method });
      assert.equal(res.status, 404, `${method} ${url}`);
    }
  });
});
