import type { CustomSlotSupplier, SlotInfo, SlotPermit, SlotReserveContext, TunerHolder } from '@temporalio/worker';

/**
 * How many tasks of each kind a worker holds at once (CALLBACKS_*_TASK_SLOTS, src/temporal/workerSlots.ts).
 *
 * A workflow task that waits for its local first attempts (workflows/firstAttempt.ts) keeps its
 * workflow-task slot until the receivers answer, yet the worker does nothing for it meanwhile. So
 * each local `deliver` attempt out lends one more workflow-task slot: the worker keeps
 * `workflowTasks` tasks of its own work at once however slow the receivers are, and what it leaves
 * on the task queue is still shared out fairly between tenants by the server (docs/tenants.md).
 * Only polls of the task queue itself take a lent slot: a sticky poll (for the next task of a run
 * this worker has cached) waits on the task queue until one comes and would sit on the slot idle.
 */
export function workerTuner(slots: { workflowTasks: number; activityTasks: number; localActivities?: number }): TunerHolder {
  let localAttempts = 0;
  const workflowTasks = slotPool((ctx) => slots.workflowTasks + (ctx.isSticky ? 0 : localAttempts));
  const attempting = new WeakSet<SlotPermit>();
  const localActivities = slotPool(() => slots.localActivities ?? DEFAULT_LOCAL_ACTIVITY_SLOTS, {
    used(permit, info) {
      if (info.type !== 'local-activity' || info.activityType !== 'deliver') return;
      attempting.add(permit);
      localAttempts += 1;
      workflowTasks.wake();
    },
    released(permit) {
      if (!attempting.delete(permit)) return;
      localAttempts -= 1;
    },
  });
  return {
    workflowTaskSlotSupplier: workflowTasks.supplier,
    localActivityTaskSlotSupplier: localActivities.supplier,
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: slots.activityTasks },
    nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
  };
}

/** The SDK's own default for local activities (maxConcurrentLocalActivityExecutions). */
const DEFAULT_LOCAL_ACTIVITY_SLOTS = 100;

interface PoolHooks {
  used?(permit: SlotPermit, info: SlotInfo): void;
  released?(permit: SlotPermit): void;
}

interface Waiter {
  ctx: SlotReserveContext;
  grant(): void;
}

/**
 * A counting pool whose size may change and may differ by reservation: one is granted while fewer
 * permits are out than `capacity` allows it; the others wait, in order.
 */
function slotPool<SI extends SlotInfo>(capacity: (ctx: SlotReserveContext) => number, hooks: PoolHooks = {}) {
  let out = 0;
  const waiting: Waiter[] = [];
  const fits = (ctx: SlotReserveContext) => out < capacity(ctx);

  const take = (): SlotPermit => {
    out += 1;
    return {};
  };
  const wake = () => {
    for (let i = 0; i < waiting.length; ) {
      if (!fits(waiting[i].ctx)) {
        i += 1;
        continue;
      }
      waiting.splice(i, 1)[0].grant();
    }
  };

  const supplier: CustomSlotSupplier<SI> = {
    type: 'custom',
    reserveSlot(ctx, abortSignal) {
      if (fits(ctx)) return Promise.resolve(take());
      return new Promise<SlotPermit>((resolve, reject) => {
        const waiter: Waiter = {
          ctx,
          grant: () => {
            abortSignal.removeEventListener('abort', onAbort);
            resolve(take());
          },
        };
        const onAbort = () => {
          const i = waiting.indexOf(waiter);
          if (i >= 0) waiting.splice(i, 1);
          // The SDK takes the signal's own reason as the one expected way out (anything else it logs).
          reject(abortSignal.reason);
        };
        abortSignal.addEventListener('abort', onAbort, { once: true });
        waiting.push(waiter);
      });
    },
    tryReserveSlot: (ctx) => (fits(ctx) ? take() : null),
    markSlotUsed: ({ permit, slotInfo }) => hooks.used?.(permit, slotInfo),
    releaseSlot: ({ permit }) => {
      out -= 1;
      hooks.released?.(permit);
      wake();
    },
  };
  return { supplier, wake };
}
