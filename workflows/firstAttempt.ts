import { condition, workflowInfo, type LocalActivityOptions } from '@temporalio/workflow';
import type { MatchedEndpoint } from './contract';

/**
 * The fast path of an event's first attempts (docs/architecture.md, "The first attempt"): a plain
 * delivery's first attempt runs as a local activity in the workflow task that matched the event,
 * so an event whose first attempts succeed completes in that one task. Anything else — ordering,
 * coalescing, batching, a resend, an attempt timeout too long for the task — goes the regular way.
 */

/** What the local attempt may take beyond the endpoint's attemptTimeoutMs (store reads, signing, the log). */
export const LOCAL_ATTEMPT_SLACK_MS = 5_000;
/** What the workflow task keeps for itself besides the attempt (matching, the commands). */
const TASK_MARGIN_MS = 5_000;

/** Options of the local first attempt: once, bounded like the regular first attempt. */
export function localAttemptOptions(r: MatchedEndpoint['retry']): LocalActivityOptions {
  return {
    startToCloseTimeout: r.attemptTimeoutMs + LOCAL_ATTEMPT_SLACK_MS,
    retry: { maximumAttempts: 1 },
  };
}

/**
 * Whether the endpoint's first attempt fits in the workflow task: the task's timeout (set at the
 * start, see the event gateway) must cover the whole local attempt with a margin, else a worker
 * would have to keep the task alive by heartbeats, and the attempt goes the regular way instead.
 */
export function fitsInTask(m: MatchedEndpoint): boolean {
  return m.retry.attemptTimeoutMs + LOCAL_ATTEMPT_SLACK_MS + TASK_MARGIN_MS <= workflowInfo().taskTimeoutMs;
}

/** A delivery the fast path takes: none of the features that need their own workflow steps first. */
export function plainDelivery(m: MatchedEndpoint): boolean {
  return m.batch === undefined && m.ordering === undefined && m.coalesce === undefined && fitsInTask(m);
}

/**
 * The local first attempts of one workflow task, answered together. A worker hands local activities'
 * results to the workflow one by one as they come, but on replay (after the worker's cache lost the
 * run) all at once: were each delivery to go on as soon as its own answer came, the order of what it
 * does next (status changes, the search attributes, timers, activities) could differ between the two,
 * and the replay fail. Each waits instead until every local attempt started with it came back, and all
 * go on in the order they started, whichever way the results arrived.
 */
export interface FirstTaskGate {
  together<T>(start: () => Promise<T>): Promise<T>;
}

export function firstTaskGate(): FirstTaskGate {
  let out = 0;
  return {
    async together<T>(start: () => Promise<T>): Promise<T> {
      out += 1;
      const attempt = start();
      const back = () => {
        out -= 1;
      };
      attempt.then(back, back);
      await condition(() => out === 0);
      return attempt;
    },
  };
}
