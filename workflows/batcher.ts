import { condition, continueAsNew, ParentClosePolicy, setHandler, startChild, uuid4, workflowInfo } from '@temporalio/workflow';
import {
  batchAddSignal,
  batcherPendingQuery,
  batchWorkflowId,
  URGENT_PRIORITY_KEY,
  type BatcherInput,
  type BatchItem,
  type MatchedEndpoint,
} from './contract';
import { batchDelivery } from './batchDelivery';

/**
 * One per endpoint with `batch` (id `batcher-<endpointId>`), started and fed by the event
 * workflows through signal-with-start. It closes a batch when it holds `maxSize` events or
 * `maxWaitMs` after its first event, and hands it to a `batchDelivery` child workflow (abandoned
 * on close, so batches in retry or review never hold the batcher up). It continues as new every
 * BATCHES_PER_RUN batches (or when Temporal suggests it), carrying the events not yet sent, so
 * its history stays small however long it runs, and it closes after IDLE_CLOSE_MS without events.
 */

export const BATCHES_PER_RUN = 10;
/** Also continue as new past this many history events (large batches signal a lot). */
const HISTORY_LIMIT = 2_000;
const IDLE_CLOSE_MS = 5 * 60_000;
/**
 * A batch also closes at about this many bytes of events: the batch travels whole through
 * Temporal (the batch workflow's input, each attempt's input), and Temporal refuses payloads past
 * 2 MB. An event alone may be up to CALLBACKS_MAX_EVENT_BYTES.
 */
export const MAX_BATCH_BYTES = 512 * 1024;

const RECENT_TOKENS = 2_000;

const sizeOf = (item: BatchItem) => JSON.stringify(item.event).length;

export async function batcher(input: BatcherInput): Promise<void> {
  const { endpointId } = input;
  const perRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  const pending = [...(input.pending ?? [])];
  const urgent: BatchItem[] = [...(input.urgent ?? [])];
  let sent = input.sent ?? 0;
  let sentThisRun = 0;
  let endpoint: MatchedEndpoint | undefined = pending.at(-1)?.item.endpoint;
  // Hand-overs repeat (activity retries, an event's re-hand-over): the same token twice is the same
  // event once. Tokens recently sent are carried across continue-as-new, at most RECENT_TOKENS.
  const seen = new Set([...(input.recent ?? []), ...pending.map((p) => p.item.token), ...urgent.map((i) => i.token)]);
  const recent = [...(input.recent ?? [])];

  setHandler(batchAddSignal, (item) => {
    if (seen.has(item.token)) return;
    seen.add(item.token);
    endpoint = item.endpoint;
    if (item.url !== undefined) urgent.push(item);
    else pending.push({ item, arrivedAt: Date.now(), bytes: sizeOf(item) });
  });
  setHandler(batcherPendingQuery, () => ({ pending: pending.length, sent }));

  async function send(items: BatchItem[], url?: string): Promise<void> {
    const batchId = `bat_${uuid4()}`;
    // The priority lane: a `priority: "high"` endpoint's batches, and any batch carrying an urgent escalation.
    const lane = items.at(-1)!.endpoint.priority === 'high' || items.some((i) => i.urgent);
    await startChild(batchDelivery, {
      workflowId: batchWorkflowId(batchId),
      // With the batcher's tenant (fairness key and weight) spelt out, not left to a merge.
      ...(lane ? { priority: { ...workflowInfo().priority, priorityKey: URGENT_PRIORITY_KEY } } : {}),
      args: [{ batchId, endpointId, createdAt: new Date().toISOString(), items, endpoint: items.at(-1)!.endpoint, url }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `batch of ${items.length} event(s) to ${endpointId}`,
    });
    sent += 1;
    sentThisRun += 1;
    recent.push(...items.map((i) => i.token));
    if (recent.length > RECENT_TOKENS) recent.splice(0, recent.length - RECENT_TOKENS);
  }

  const pendingBytes = () => pending.reduce((sum, p) => sum + p.bytes, 0);
  /** The next batch: up to maxSize events within MAX_BATCH_BYTES (always at least one). */
  function take(maxSize: number): BatchItem[] {
    let count = 0;
    let bytes = 0;
    while (count < Math.min(maxSize, pending.length) && (count === 0 || bytes + pending[count].bytes <= MAX_BATCH_BYTES)) {
      bytes += pending[count].bytes;
      count += 1;
    }
    return pending.splice(0, count).map((p) => p.item);
  }

  const runIsFull = () =>
    sentThisRun >= perRun || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT;

  for (;;) {
    while (urgent.length > 0) {
      const item = urgent.shift()!;
      await send([item], item.url);
    }
    if (runIsFull()) break;
    if (pending.length === 0) {
      const woke = await condition(() => pending.length > 0 || urgent.length > 0, IDLE_CLOSE_MS);
      if (!woke) return;
      continue;
    }
    const { maxSize, maxWaitMs } = endpoint?.batch ?? { maxSize: 1, maxWaitMs: 0 };
    const waitMs = pending[0].arrivedAt + maxWaitMs - Date.now();
    // An urgent escalation does not wait for the batch to fill: it goes now, with what is pending.
    const full = () => pending.length >= maxSize || pendingBytes() >= MAX_BATCH_BYTES || pending.some((p) => p.item.urgent);
    if (!full() && waitMs > 0) {
      await condition(() => full() || urgent.length > 0, waitMs);
      continue;
    }
    await send(take(maxSize));
  }
  await continueAsNew<typeof batcher>({ endpointId, pending, urgent, sent, recent, batchesPerRun: input.batchesPerRun });
}
