import assert from 'node:assert/strict';
import { parseOptions } from '../../bench/options';
import { topologyOf } from '../../bench/report';

/** The bench's --cluster flags: what they select, and the combinations that make no sense. */
describe('bench options: --cluster and --workers', () => {
  it('runs on the dev server with one worker unless told otherwise', () => {
    const o = parseOptions([]);
    assert.equal(o.cluster, false);
    assert.equal(o.workers, 1);
    assert.equal(o.idleMs, 10_000);
    assert.equal(parseOptions(['--quick']).idleMs, 5_000);
    assert.equal(topologyOf(o), 'separate processes: API, worker');
  });

  it('selects the cluster and N worker processes', () => {
    const o = parseOptions(['--cluster', '--workers', '3', '--idle-ms', '0']);
    assert.equal(o.cluster, true);
    assert.equal(o.workers, 3);
    assert.equal(o.idleMs, 0);
    assert.match(topologyOf(o), /^cluster: .*PostgreSQL, API and 3 worker processes$/);
    assert.match(topologyOf(parseOptions(['--cluster'])), /API and 1 worker process$/);
  });

  it('runs the tenants phase alone with --tenants', () => {
    assert.equal(parseOptions([]).tenants, false);
    assert.equal(parseOptions(['--quick', '--tenants']).tenants, true);
  });

  it('refuses more workers on the dev server, and one process on the cluster', () => {
    assert.throws(() => parseOptions(['--workers', '2']), /--workers needs --cluster/);
    assert.throws(() => parseOptions(['--cluster', '--single-process']), /drop --single-process/);
    assert.throws(() => parseOptions(['--cluster', '--workers', 'many']), /--workers needs a number/);
  });
});
