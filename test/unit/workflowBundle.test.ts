import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prebuiltWorkflowBundle, workflowSourceHash, writeWorkflowBundle } from '../../src/temporal/workflowBundle';

describe('the prebuilt workflow bundle', function () {
  this.timeout(60_000);
  let dir: string;
  let bundlePath: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-bundle-'));
    bundlePath = path.join(dir, 'dist', 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is written with what it was built from, and used while that is the code on disk', () => {
    const manifest = JSON.parse(fs.readFileSync(`${bundlePath}.json`, 'utf8'));
    assert.equal(manifest.sourceHash, workflowSourceHash());
    assert.match(fs.readFileSync(bundlePath, 'utf8'), /callbackEvent/);
    assert.deepEqual(prebuiltWorkflowBundle(bundlePath), { use: true, codePath: bundlePath });
  });

  it('is refused once the workflow code changed, naming the command that rebuilds it', () => {
    const stalePath = path.join(dir, 'stale.js');
    fs.copyFileSync(bundlePath, stalePath);
    const manifest = JSON.parse(fs.readFileSync(`${bundlePath}.json`, 'utf8'));
    fs.writeFileSync(`${stalePath}.json`, JSON.stringify({ ...manifest, sourceHash: 'f'.repeat(64) }));
    const answer = prebuiltWorkflowBundle(stalePath);
    assert.equal(answer.use, false);
    assert.equal(answer.use === false && answer.reason, 'stale');
    assert.match(answer.use === false ? answer.detail : '', /npm run build:workflows/);
  });

  it('is used only with the tracing setting it was built for (the tracing interceptors are in it or not)', () => {
    assert.notEqual(workflowSourceHash(undefined, { tracing: true }), workflowSourceHash());
    const off = prebuiltWorkflowBundle(bundlePath, { tracing: true });
    assert.equal(off.use === false && off.reason, 'stale');
    assert.match(off.use === false ? off.detail : '', /built without the tracing interceptors, and tracing is on/);
    // A manifest of a bundle built with them (the bundle's content is not read here).
    const tracedPath = path.join(dir, 'traced.js');
    fs.copyFileSync(bundlePath, tracedPath);
    const manifest = { sourceHash: workflowSourceHash(undefined, { tracing: true }), builtAt: new Date().toISOString(), tracing: true };
    fs.writeFileSync(`${tracedPath}.json`, JSON.stringify(manifest));
    assert.deepEqual(prebuiltWorkflowBundle(tracedPath, { tracing: true }), { use: true, codePath: tracedPath });
    const on = prebuiltWorkflowBundle(tracedPath);
    assert.match(on.use === false ? on.detail : '', /built with the tracing interceptors, and tracing is off/);
  });

  it('is not there, or has no readable manifest: the worker bundles at start', () => {
    assert.equal(prebuiltWorkflowBundle(path.join(dir, 'none.js')).use, false);
    const bare = path.join(dir, 'bare.js');
    fs.copyFileSync(bundlePath, bare);
    const answer = prebuiltWorkflowBundle(bare);
    assert.equal(answer.use === false && answer.reason, 'unreadable');
  });

  it('changes its source hash with any file under workflows/', () => {
    const copy = path.join(dir, 'workflows');
    fs.cpSync(path.resolve(__dirname, '../../workflows'), copy, { recursive: true });
    assert.equal(workflowSourceHash(copy), workflowSourceHash());
    fs.appendFileSync(path.join(copy, 'contract', 'ids.ts'), '\n// changed\n');
    assert.notEqual(workflowSourceHash(copy), workflowSourceHash());
    fs.writeFileSync(path.join(copy, 'extra.ts'), 'export {};\n');
    fs.copyFileSync(path.resolve(__dirname, '../../workflows/contract/ids.ts'), path.join(copy, 'contract', 'ids.ts'));
    assert.notEqual(workflowSourceHash(copy), workflowSourceHash(), 'a new file counts too');
  });
});
