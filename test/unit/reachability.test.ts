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
});
