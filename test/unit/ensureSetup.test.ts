import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** scripts/ensure-setup.sh: what `npm start` and `npm test` run first, on every start. */
describe('ensure-setup: npm start and npm test set up only what is missing or stale', function () {
  this.timeout(120_000);
  const root = path.resolve(__dirname, '../..');
  const ensure = (...args: string[]) => execFileSync('bash', ['scripts/ensure-setup.sh', ...args], { cwd: root, encoding: 'utf8' });
  const bundleStamp = path.join(root, 'node_modules/.callback-events-bundle');

  it('does nothing and prints nothing once set up, then runs the command it was given', () => {
    ensure(); // brings this checkout up to date first, whatever state it was in
    assert.equal(ensure(), '');
    assert.equal(ensure('echo', 'ran'), 'ran\n');
  });

  it('rebuilds the workflow bundle, and only the bundle, when the workflow sources changed', () => {
    ensure();
    const current = fs.readFileSync(bundleStamp, 'utf8');
    fs.writeFileSync(bundleStamp, 'a bundle of other workflow sources\n');
    try {
      const out = ensure();
      assert.match(out, /wrote .*workflow-bundle\.js/);
      assert.doesNotMatch(out, /Setting up/);
      assert.equal(fs.readFileSync(bundleStamp, 'utf8'), current);
    } finally {
      fs.writeFileSync(bundleStamp, current);
    }
  });
});
