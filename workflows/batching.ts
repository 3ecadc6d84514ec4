import { condition, getExternalWorkflowHandle, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import {
  batchUpdateSignal,
  batchWorkflowId,
  discardSignal,
  isUrgent,
  releaseSignal,
  resendSignal,
  type Activities,
  type BatchUpdate,
  type CallbackEvent,
  type DeliverySnapshot,
  type DeliveryStatus,
  type MatchedEndpoint,
} from './contract';
import type { Action } from './deliverySeries';

/**
 * The event workflow's side of batching: a delivery to an endpoint with `batch` hands the event
 * to the endpoint's batcher (signal-with-start, through an activity) and then mirrors its batch's
 * state, which the batch's workflow signals. Resend, discard and release of the delivery are
 * forwarded to the batch, so they act on the whole batch.
 */

const { enqueueInBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  summary: 'hand the event to its endpoint batcher',
});

/**
 * Until its batch is heard from, the event hands itself over again now and then (the same token:
 * the batcher drops repeats), should the batcher have been lost (terminated, reset) with it.
 */
const REHAND_FIRST_MS = 30_000;
const REHAND_MAX_MS = 3_600_000;

/** The latest update per hand-over token. Call once per workflow run, before any delivery. */
export function batchInbox(): Map<string, BatchUpdate> {
  const updates = new Map<string, BatchUpdate>();
  setHandler(batchUpdateSignal, (update) => {
    const known = updates.get(update.token);
    // Only the batch the event first heard from speaks for it; within it, only newer news.
    if (known && (known.batchId !== update.batchId || known.seq >= update.seq)) return;
    updates.set(update.token, update);
  });
  return updates;
}

export interface BatchedDelivery {
  inbox: Map<string, BatchUpdate>;
  event: CallbackEvent;
  d: DeliverySnapshot & { action?: Action };
  m: MatchedEndpoint;
  /** A one-off url: the event goes out at once, in a batch of its own. */
  url?: string;
  wasReviewed: boolean;
  setStatus(status: DeliveryStatus, reason?: string): void;
  /** Delivered (operational `delivery_recovered` when it had been in review). */
  delivered(status: 'delivered' | 'delivered_fallback', reviewed: boolean): void;
  /** Entered review (operational `delivery_exhausted`). */
  exhausted(): void;
}

export async function deliverBatched({ inbox, event, d, m, url, wasReviewed, setStatus, delivered, exhausted }: BatchedDelivery): Promise<void> {
  const token = uuid4();
  const attemptsBefore = d.attempts;
  setStatus('pending', 'waiting for its batch');
  const handOver = () =>
    enqueueInBatch({
      endpointId: d.endpointId,
      item: {
        token,
        workflowId: workflowInfo().workflowId,
        deliveryId: d.id,
        event,
        attemptsBefore,
        endpoint: m,
        url,
        ...(isUrgent(event) ? { urgent: true } : {}),
      },
    });
  await handOver();
  let seen = 0;
  let reviewed = wasReviewed;
  let rehandMs = REHAND_FIRST_MS + 2 * (m.batch?.maxWaitMs ?? 0);
  for (;;) {
    const woken = () => d.action !== undefined || (inbox.get(token)?.seq ?? 0) > seen;
    if (seen === 0) {
      if (!(await condition(woken, rehandMs))) {
        await handOver();
        rehandMs = Math.min(rehandMs * 2, REHAND_MAX_MS);
        continue;
      }
    } else {
      await condition(woken);
    }
    const update = inbox.get(token);
    if (update && update.seq > seen) {
      seen = update.seq;
      d.batchId = update.batchId;
      d.attempts = attemptsBefore + update.attempts;
      d.lastStatusCode = update.lastStatusCode;
      d.lastError = update.lastError;
      if (update.deliveredAt) d.deliveredAt = update.deliveredAt;
      switch (update.status) {
        case 'delivered':
        case 'delivered_fallback':
          inbox.delete(token);
          return delivered(update.status, reviewed);
        case 'discarded':
        case 'expired':
          inbox.delete(token);
          return setStatus(update.status, update.reason);
        case 'awaiting_review':
          setStatus('awaiting_review', update.reason);
          reviewed = true;
          exhausted();
          break;
        default:
          setStatus(update.status, update.reason);
      }
    }
    const action = d.action;
    d.action = undefined;
    if (action && d.batchId) {
      // The batch decides: it ignores what does not fit its state, as the event workflow would.
      const batch = getExternalWorkflowHandle(batchWorkflowId(d.batchId));
      const forwarded =
        action.kind === 'resend'
          ? batch.signal(resendSignal, { url: action.url })
          : action.kind === 'discard'
            ? batch.signal(discardSignal, { reason: action.reason })
            : batch.signal(releaseSignal, { endpointId: d.endpointId });
      await forwarded.catch(() => undefined);
    }
  }
}
