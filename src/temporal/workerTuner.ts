import type { CustomSlotSupplier, SlotInfo, SlotPermit, SlotReserveContext, TunerHolder } from '@temporalio/worker';

/**
 * How many tasks of each kind a worker holds at once (CALLBACKS_*_TASK_SLOTS, src/temporal/workerSlots.ts).
 *
 * Workflow tasks come from two places: the task queue (every event's first task) and the worker's
 * sticky queue (the next task of a run it has cached). Each has `workflowTasks` slots of its own, so
 * sticky polls, which mostly wait (an event delivered at its first attempt has no next task), do not
 * sit on the slots new events need.
 *
 * A task that waits for its local first attempts (workflows/firstAttempt.ts) keeps its slot until the
 * receivers answer, yet the worker does nothing for it meanwhile. So each local `deliver` attempt out
 * lends the task queue's side one more slot: the worker keeps `workflowTasks` new events' tasks of
 * its own work at once however slow the receivers are, and what it leaves on the task queue is still
 * shared out fairly between tenants by the server (docs/tenants.md).
 */
export function workerTuner(slots: { workflowTasks: number; activityTasks: number }): TunerHolder {
  let localAttempts = 0;
  const taskQueue = slotPool(() => slots.workflowTasks + localAttempts);
  const sticky = slotPool(() => slots.workflowTasks);
  const attempting = new WeakSet<SlotPermit>();
  const localActivities = slotPool(() => LOCAL_ACTIVITY_SLOTS);
  return {
    workflowTaskSlotSupplier: supplier<SlotInfo>((ctx) => (ctx.isSticky ? sticky : taskQueue)),
    localActivityTaskSlotSupplier: supplier<SlotInfo>(() => localActivities, {
      used(permit, info) {
        if (info.type !== 'local-activity' || info.activityType !== 'deliver') return;
        attempting.add(permit);
        localAttempts += 1;
        taskQueue.wake();
      },
      released(permit) {
        if (attempting.delete(permit)) localAttempts -= 1;
      },
    }),
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: slots.activityTasks },
    nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
  };
}

/** The SDK's own default for local activities (maxConcurrentLocalActivityExecutions). */
const LOCAL_ACTIVITY_SLOTS = 100;

/** A counting pool whose size may change: a reservation is granted while fewer permits are out than it allows; the others wait, in order. */
interface SlotPool {
  reserve(abortSignal: AbortSignal): Promise<SlotPermit>;
  tryReserve(): SlotPermit | null;
  release(): void;
  /** Grants what waits, after the pool grew. */
  wake(): void;
}

function slotPool(capacity: () => number): SlotPool {
  let out = 0;
  const waiting: Array<() => void> = [];
  const take = (): SlotPermit => {
    out += 1;
    return {};
  };
  const pool: SlotPool = {
    reserve(abortSignal) {
      if (waiting.length === 0 && out < capacity()) return Promise.resolve(take());
      return new Promise<SlotPermit>((resolve, reject) => {
        const grant = () => {
          abortSignal.removeEventListener('abort', onAbort);
          resolve(take());
        };
        const onAbort = () => {
          const i = waiting.indexOf(grant);
          if (i >= 0) waiting.splice(i, 1);
          // The SDK takes the signal's own reason as the one expected way out (anything else it logs).
          reject(abortSignal.reason);
        };
        abortSignal.addEventListener('abort', onAbort, { once: true });
        waiting.push(grant);
      });
    },
    tryReserve: () => (waiting.length === 0 && out < capacity() ? take() : null),
    release() {
      out -= 1;
      pool.wake();
    },
    wake() {
      while (waiting.length > 0 && out < capacity()) waiting.shift()!();
    },
  };
  return pool;
}

interface SupplierHooks {
  used?(permit: SlotPermit, info: SlotInfo): void;
  released?(permit: SlotPermit): void;
}

/** The SDK's custom slot supplier over the pool each reservation belongs to. */
function supplier<SI extends SlotInfo>(poolFor: (ctx: SlotReserveContext) => SlotPool, hooks: SupplierHooks = {}): CustomSlotSupplier<SI> {
  const owner = new WeakMap<SlotPermit, SlotPool>();
  const owned = (pool: SlotPool, permit: SlotPermit | null) => {
    if (permit) owner.set(permit, pool);
    return permit;
  };
  return {
    type: 'custom',
    async reserveSlot(ctx, abortSignal) {
      const pool = poolFor(ctx);
      return owned(pool, await pool.reserve(abortSignal))!;
    },
    tryReserveSlot: (ctx) => {
      const pool = poolFor(ctx);
      return owned(pool, pool.tryReserve());
    },
    markSlotUsed: ({ permit, slotInfo }) => hooks.used?.(permit, slotInfo),
    releaseSlot: ({ permit }) => {
      owner.get(permit)?.release();
      owner.delete(permit);
      hooks.released?.(permit);
    },
  };
}
