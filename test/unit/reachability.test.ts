import assert from 'node:assert/strict';
import { Reachability } from '../../src/temporal/reachability';

describe('Temporal reachability', () => {
  it('admits every call until one fails, then one trial call a second while the rest fail at once', async () => {
    const r = new Reachability();
    assert.deepEqual([r.admit(), r.admit(), r.admit()], [true, true, true]);

    r.failed();
    assert.equal(r.admit(), false, 'within a second of the failure: refused at once');
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    assert.equal(r.admit(), true, 'the trial');
    assert.equal(r.admit(), false, 'one trial at a time');
    r.failed();
    assert.equal(r.admit(), false, 'the trial failed: refused again');

    await new Promise((resolve) => setTimeout(resolve, 1_050));
    assert.equal(r.admit(), true, 'the next trial');
    r.answered();
    assert.deepEqual([r.admit(), r.admit()], [true, true], 'an answer: every call goes again');
  });

  it('lost(): aborts the calls in flight, not later ones, and starts an outage', async () => {
    const r = new Reachability();
    const inFlight = r.signal;
    r.lost();
    assert.equal(inFlight.aborted, true);
    assert.match(String((inFlight.reason as Error).message), /connection to Temporal broke/);
    assert.equal(r.signal.aborted, false, 'a call starting now gets a fresh signal');
    assert.equal(r.admit(), false, 'refused at once, as after a failed call');
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    assert.equal(r.admit(), true, 'the trial');
    r.answered();
    assert.equal(r.admit(), true);
  });
});
