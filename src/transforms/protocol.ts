/** What the pool and its threads say to each other (src/transforms/pool.ts, thread.ts). */

/** The event a thread emits as it begins an evaluation: the hard deadline starts then. */
export const TRANSFORM_STARTED = 'started';

/** An evaluation's answer: the body as JSON text, or why the transform failed (transform_failed). */
export type ThreadOutcome = { text: string } | { failure: string };
