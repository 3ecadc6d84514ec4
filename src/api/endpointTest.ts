import type { EventGateway } from '../temporal/eventGateway';
import { hasCode } from '../errors';
import { temporalUnavailable } from '../temporal/errors';
import type { DeliverySnapshot } from '../../workflows/contract';

/**
 * Waits for the one attempt of an endpoint test. The attempt goes through the endpoint's flow
 * control, so it may wait for a slot (the `throttled` status) far longer than any HTTP request
 * should: then, and when no outcome comes within `timeoutMs`, the answer is "still pending"
 * with the delivery's status, not an error. Before this, a throttled test ran into the gateway's
 * deadline and was answered as "Temporal unavailable" (503); found by schemathesis.
 */

export type TestOutcome =
  | { settled: true; delivery?: DeliverySnapshot }
  | { settled: false; status?: DeliverySnapshot['status'] };

const POLL_MS = 500;

/** The longest a test request is held open: an HTTP call should not hang; after it, "still pending". */
export const TEST_WAIT_MAX_MS = 15_000;

/** The attempt's own timeout and a margin for scheduling it, within TEST_WAIT_MAX_MS. */
export function testWaitMs(attemptTimeoutMs: number): number {
  return Math.min(attemptTimeoutMs + 5_000, TEST_WAIT_MAX_MS);
}

export async function awaitTestAttempt(events: EventGateway, eventId: string, timeoutMs: number): Promise<TestOutcome> {
  const deadline = Date.now() + timeoutMs;
  let finished = false;
  const result = events.result(eventId, timeoutMs).then(
    (snapshot): TestOutcome => ({ settled: true, delivery: snapshot.deliveries[0] }),
    // The deadline passing is an answer too ("still pending"), unless Temporal is really gone (below).
    (err: unknown): TestOutcome | undefined => {
      if (hasCode(err, 'temporal_unavailable')) return undefined;
      throw err;
    },
  );
  // Whichever loses the race below may still settle; its rejection must not go unhandled.
  result.catch(() => undefined);
  const throttled = (async (): Promise<TestOutcome | undefined> => {
    while (!finished && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const status = (await events.snapshot(eventId).catch(() => undefined))?.deliveries[0]?.status;
      if (status === 'throttled') return { settled: false, status };
    }
    return undefined;
  })();
  try {
    const first = await Promise.race([result, throttled.then((t) => t ?? result)]);
    if (first) return first;
    // No outcome in time: pending if the workflow still answers, else Temporal is unreachable.
    const snapshot = await events.snapshot(eventId);
    // The test event is gone: Temporal lost it or cannot be asked.
    if (!snapshot) throw temporalUnavailable();
    return { settled: false, status: snapshot.deliveries[0]?.status };
  } finally {
    finished = true;
  }
}
