/**
 * Tasks a worker holds at once, by default (CALLBACKS_WORKFLOW_TASK_SLOTS, CALLBACKS_ACTIVITY_TASK_SLOTS).
 * A worker runs the workflow tasks it holds one at a time, in the order it took them; what it leaves
 * on the task queue, the server hands out fairly between tenants. Activities (deliveries) mostly
 * wait on receivers, so they get many.
 */
export const DEFAULT_WORKER_SLOTS = { workflowTasks: 4, activityTasks: 100 } as const;
