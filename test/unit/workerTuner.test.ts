import assert from 'node:assert/strict';
import type { CustomSlotSupplier, SlotInfo, SlotPermit, SlotReserveContext } from '@temporalio/worker';
import { workerTuner } from '../../src/temporal/workerTuner';

/** The worker's slots (src/temporal/workerTuner.ts), driven as the SDK drives them. */

const ctx = (slotType: SlotInfo['type'], isSticky = false): SlotReserveContext => ({
  slotType,
  isSticky,
  taskQueue: 'q',
  workerIdentity: 'w',
  workerBuildId: '',
});
const deliver: SlotInfo = { type: 'local-activity', activityType: 'deliver' };
const match: SlotInfo = { type: 'local-activity', activityType: 'matchEndpoints' };
const settled = async <T>(p: Promise<T>) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20))]);

describe('worker slots', () => {
  const setup = () => {
    const tuner = workerTuner({ workflowTasks: 2, activityTasks: 7 });
    return {
      tuner,
      wf: tuner.workflowTaskSlotSupplier as CustomSlotSupplier<SlotInfo>,
      la: tuner.localActivityTaskSlotSupplier as CustomSlotSupplier<SlotInfo>,
    };
  };
  const startAttempt = async (la: CustomSlotSupplier<SlotInfo>, info = deliver): Promise<SlotPermit> => {
    const permit = await la.reserveSlot(ctx('local-activity'), new AbortController().signal);
    la.markSlotUsed({ permit, slotInfo: info });
    return permit;
  };

  it('holds as many workflow tasks from the task queue as it is given, and as many sticky ones, then makes the next wait', async () => {
    const { wf, tuner } = setup();
    const never = new AbortController().signal;
    const a = await wf.reserveSlot(ctx('workflow'), never);
    await wf.reserveSlot(ctx('workflow'), never);
    assert.equal(wf.tryReserveSlot(ctx('workflow')), null);
    const third = wf.reserveSlot(ctx('workflow'), never);
    assert.equal(await settled(third), false);
    // Sticky polls have slots of their own: they do not sit on the task queue's.
    const s = await wf.reserveSlot(ctx('workflow', true), never);
    await wf.reserveSlot(ctx('workflow', true), never);
    assert.equal(wf.tryReserveSlot(ctx('workflow', true)), null);
    wf.releaseSlot({ permit: s });
    assert.equal(await settled(third), false, 'a sticky slot freed is not the task queue\'s');
    wf.releaseSlot({ permit: a });
    assert.equal(await settled(third), true);
    assert.deepEqual(tuner.activityTaskSlotSupplier, { type: 'fixed-size', numSlots: 7 });
  });

  it('lends the task queue a workflow-task slot per local deliver attempt out, until it ends', async () => {
    const { wf, la } = setup();
    const never = new AbortController().signal;
    await wf.reserveSlot(ctx('workflow'), never);
    await wf.reserveSlot(ctx('workflow'), never);
    const plain = wf.reserveSlot(ctx('workflow'), never);
    // The match is no attempt: nothing lent.
    await startAttempt(la, match);
    assert.equal(await settled(plain), false);
    const attempt = await startAttempt(la);
    assert.equal(await settled(plain), true);
    assert.equal(wf.tryReserveSlot(ctx('workflow')), null);
    // The attempt answered: its slot is no longer lent, so nothing more fits.
    la.releaseSlot({ permit: attempt, slotInfo: deliver });
    assert.equal(wf.tryReserveSlot(ctx('workflow')), null);
  });

  it('rejects an aborted reservation with the abort\'s reason, and forgets it', async () => {
    const { wf } = setup();
    const never = new AbortController().signal;
    const first = await wf.reserveSlot(ctx('workflow'), never);
    await wf.reserveSlot(ctx('workflow'), never);
    const abort = new AbortController();
    const waiting = wf.reserveSlot(ctx('workflow'), abort.signal);
    const reason = new Error('no longer needed');
    abort.abort(reason);
    await assert.rejects(waiting, (err) => err === reason);
    wf.releaseSlot({ permit: first });
    // The freed slot went to nobody: it is there to take.
    assert.notEqual(wf.tryReserveSlot(ctx('workflow')), null);
  });
});
