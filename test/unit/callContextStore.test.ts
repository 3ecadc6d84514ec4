import assert from 'node:assert/strict';
import { MAX_CAPTURE_NAMES } from '../../src/domain/capture';
import { describeEachStore } from '../helpers/storeKinds';

/** The call context (docs/case-ids.md) in the store contract: the same tests against each store. */

const MASTER_KEY = Buffer.alloc(32, 3);
const T1 = new Date('2025-01-01T10:00:00.000Z');
const T2 = new Date('2025-01-02T10:00:00.000Z');

describeEachStore('store contract: call context', [MASTER_KEY], ({ store: s, place, reopen }) => {

  it('answers {} for a call with nothing captured', async () => {
    assert.deepEqual(await s().getCallContext('call-none'), {});
  });

  it('keeps strings, numbers and booleans as they were captured, per call', async () => {
    await s().saveCallContext('call-1', { caseId: 'CASE-1042', priority: 3, vip: true }, T1);
    await s().saveCallContext('call-2', { caseId: 'CASE-9' }, T1);
    assert.deepEqual(await s().getCallContext('call-1'), { caseId: 'CASE-1042', priority: 3, vip: true });
    assert.deepEqual(await s().getCallContext('call-2'), { caseId: 'CASE-9' });
  });

  it('overwrites a name captured again (last write wins) and keeps the others', async () => {
    await s().saveCallContext('call-1', { caseId: 'CASE-1', ticket: 'T-1' }, T1);
    await s().saveCallContext('call-1', { caseId: 'CASE-2' }, T2);
    assert.deepEqual(await s().getCallContext('call-1'), { caseId: 'CASE-2', ticket: 'T-1' });
  });

  it(`holds at most ${MAX_CAPTURE_NAMES} names per call: new names past that are dropped, held ones still change`, async () => {
    const first = Object.fromEntries(Array.from({ length: MAX_CAPTURE_NAMES - 1 }, (_, i) => [`n${i}`, i]));
    await s().saveCallContext('call-full', first, T1);
    await s().saveCallContext('call-full', { last: 'kept', extra: 'dropped' }, T1);
    await s().saveCallContext('call-full', { n0: 'changed', another: 'dropped' }, T2);
    const context = await s().getCallContext('call-full');
    assert.equal(Object.keys(context).length, MAX_CAPTURE_NAMES);
    assert.equal(context.last, 'kept');
    assert.equal(context.n0, 'changed');
    assert.equal('extra' in context, false);
    assert.equal('another' in context, false);
  });

  it('purges a call’s whole context once its last capture is before the cut-off', async () => {
    await s().saveCallContext('call-old', { caseId: 'CASE-OLD', ref: 'R-1' }, T1);
    // One name of this call is old, the other recent: the call's context stays whole.
    await s().saveCallContext('call-mixed', { caseId: 'CASE-M' }, T1);
    await s().saveCallContext('call-mixed', { ref: 'R-2' }, T2);
    await s().saveCallContext('call-new', { caseId: 'CASE-NEW' }, T2);

    assert.equal(await s().purgeCallContext(new Date('2025-01-02T00:00:00.000Z')), 2);
    assert.deepEqual(await s().getCallContext('call-old'), {});
    assert.deepEqual(await s().getCallContext('call-mixed'), { caseId: 'CASE-M', ref: 'R-2' });
    assert.deepEqual(await s().getCallContext('call-new'), { caseId: 'CASE-NEW' });
    assert.equal(await s().purgeCallContext(new Date('2025-01-02T00:00:00.000Z')), 0);
    assert.equal(await s().purgeCallContext(new Date('2030-01-01T00:00:00.000Z')), 3);
  });

  it('keeps the context across close and reopen', async () => {
    await s().saveCallContext('call-keep', { caseId: 'CASE-K', n: 1.5 }, T1);
    await reopen();
    assert.deepEqual(await s().getCallContext('call-keep'), { caseId: 'CASE-K', n: 1.5 });
  });

  it('counts names one capture after another when two capture for one call at once', async () => {
    const half = (prefix: string) => Object.fromEntries(Array.from({ length: MAX_CAPTURE_NAMES }, (_, i) => [`${prefix}${i}`, i]));
    const other = await place().open({ masterKeys: [MASTER_KEY] });
    try {
      await Promise.all([s().saveCallContext('call-race', half('a'), T1), other.saveCallContext('call-race', half('b'), T1)]);
    } finally {
      await other.close();
    }
    assert.equal(Object.keys(await s().getCallContext('call-race')).length, MAX_CAPTURE_NAMES);
  });
});
