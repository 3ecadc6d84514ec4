import path from 'node:path';
import workerpool from 'workerpool';
import { TRANSFORM_HARD_LIMIT_MS, type TransformSettings } from '../domain/transform';
import { CallbackEventsError } from '../errors';
import { TRANSFORM_STARTED, type ThreadOutcome } from './protocol';

/**
 * Transforms run in a small pool of worker threads, so an expression that runs away costs a thread
 * and never the event loop that every other delivery shares. jsonata checks its clock between
 * steps (TRANSFORM_TIME_LIMIT_MS); a single step that does not return (a backtracking regex, a huge
 * builtin) is stopped by terminating its thread at TRANSFORM_HARD_LIMIT_MS, and a fresh thread
 * takes its place. One pool per process (the worker's activities, the API's preview), closed on
 * shutdown after the roles that use it have stopped.
 */

export interface TransformRunner {
  /** The body to send, as JSON text; throws `transform_failed` with what went wrong. */
  run(transform: TransformSettings, body: unknown): Promise<string>;
  /** Terminates the threads; a run still in flight fails, and is not the transform's fault. */
  close(): Promise<void>;
}

export interface TransformPoolOptions {
  /** Threads kept ready; each evaluates one transform at a time, the rest queue. */
  threads?: number;
}

export const TRANSFORM_THREADS_DEFAULT = 2;
/** A thread that never starts the evaluation (it failed to boot) gives up the task after this. */
const BOOT_LIMIT_MS = 10_000;

function failed(message: string, cause?: unknown): CallbackEventsError {
  return new CallbackEventsError('transform_failed', message, { cause });
}

export function createTransformPool({ threads = TRANSFORM_THREADS_DEFAULT }: TransformPoolOptions = {}): TransformRunner {
  const pool = workerpool.pool(path.join(__dirname, 'threadEntry.cjs'), {
    workerType: 'thread',
    minWorkers: threads,
    maxWorkers: threads,
    // A stopped task's thread is terminated once it has not answered the pool's cleanup call in
    // this long; a thread stuck in one step never answers, so short.
    workerTerminateTimeout: 50,
    // Not the main thread's flags (tsx's loader among them): threadEntry.cjs loads what it needs.
    workerThreadOpts: { execArgv: [] },
  });
  let closed = false;

  return {
    async run({ jsonata: source }, body) {
      if (closed) throw new Error('the transform pool is closed (the service is stopping)');
      let deadline: NodeJS.Timeout | undefined;
      const task = pool.exec('transform', [source, body], {
        on: (event: unknown) => {
          if (event === TRANSFORM_STARTED) deadline = setTimeout(() => task.cancel(), TRANSFORM_HARD_LIMIT_MS);
        },
      });
      task.timeout(BOOT_LIMIT_MS);
      let outcome: ThreadOutcome;
      try {
        outcome = (await task) as ThreadOutcome;
      } catch (err) {
        if (closed) throw new Error('the transform pool is closed (the service is stopping)', { cause: err });
        if (err instanceof workerpool.Promise.CancellationError) {
          throw failed(`the transform ran longer than ${TRANSFORM_HARD_LIMIT_MS} ms; its thread was stopped`, err);
        }
        if (err instanceof workerpool.Promise.TimeoutError) throw new Error(`no transform thread started within ${BOOT_LIMIT_MS} ms`, { cause: err });
        // A thread that died under the transform (its heap limit, say); the message stays generic
        // because an unexpected error's text may quote the data it was evaluating.
        throw failed('the transform stopped its thread (over its memory limit, or an internal error)', err);
      } finally {
        clearTimeout(deadline);
      }
      if ('failure' in outcome) throw failed(outcome.failure);
      return outcome.text;
    },

    async close() {
      closed = true;
      await pool.terminate(true);
    },
  };
}
