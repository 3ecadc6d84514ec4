import { getExternalWorkflowHandle, setCurrentDetails, setHandler, uuid4 } from '@temporalio/workflow';
import {
  batchStatusQuery,
  batchUpdateSignal,
  deliveryId,
  DISCARD_DESCRIPTION,
  discardSignal,
  RELEASE_DESCRIPTION,
  releaseSignal,
  RESEND_DESCRIPTION,
  resendSignal,
  type BatchDeliveryInput,
  type BatchSnapshot,
  type BatchUpdate,
  type CallbackEvent,
  type DeliverBatch,
  type DeliveryStatus,
} from './contract';
import { deliverySeries, type Action } from './deliverySeries';
import { emitEvent } from './serviceActivities';

/**
 * One batch's delivery (id `batch-<batchId>`): the same `deliver` activity, given the batch's
 * events, under the endpoint's retry policy, then the fallback url, then review — as a unit. Every
 * change of state is signalled to each member event's workflow, whose delivery shows it. Resend,
 * discard and release reach it from any member (the member forwards them), or directly.
 */

type BatchState = Omit<BatchUpdate, 'token' | 'batchId' | 'seq'>;

export async function batchDelivery(input: BatchDeliveryInput): Promise<BatchSnapshot> {
  const { batchId, endpointId, items, endpoint: m } = input;
  // The batch stands in for an event: its id is the `webhook-id`, its creation the timestamp.
  const batchEvent: CallbackEvent = { id: batchId, type: 'batch', occurredAt: input.createdAt, data: {} };
  const batch: DeliverBatch = {
    events: items.map((i) => i.event),
    members: items.map((i) => ({ deliveryId: i.deliveryId, attemptsBefore: i.attemptsBefore })),
  };
  const state: BatchState = { status: 'pending', attempts: 0 };
  let seq = 0;
  /** An operator's resend, discard or release; kept apart from `state`, which every update carries. */
  const operator: { action?: Action } = {};
  /** Signals to members and operational events under way: the workflow ends once they are done. */
  const background = new Set<Promise<void>>();
  const track = (task: Promise<unknown>) => {
    const done = task.then(() => undefined, () => undefined);
    background.add(done);
    void done.finally(() => background.delete(done));
  };

  const snapshot = (): BatchSnapshot => ({
    batchId,
    endpointId,
    status: state.status,
    attempts: state.attempts,
    reason: state.reason,
    events: items.map((i) => i.event.id),
  });

  setHandler(batchStatusQuery, snapshot);
  setHandler(
    resendSignal,
    ({ url } = {}) => {
      if (state.status === 'awaiting_review') operator.action = { kind: 'resend', url };
    },
    { description: RESEND_DESCRIPTION },
  );
  setHandler(
    discardSignal,
    ({ reason } = {}) => {
      if (state.status === 'awaiting_review' || state.status === 'held') operator.action = { kind: 'discard', reason };
    },
    { description: DISCARD_DESCRIPTION },
  );
  setHandler(
    releaseSignal,
    () => {
      if (state.status === 'held') operator.action = { kind: 'release' };
    },
    { description: RELEASE_DESCRIPTION },
  );

  /** Tells every member; a member whose workflow has closed meanwhile is skipped. */
  function notify(): void {
    seq += 1;
    const update = { ...state, batchId, seq };
    for (const item of items) {
      track(getExternalWorkflowHandle(item.workflowId).signal(batchUpdateSignal, { ...update, token: item.token }));
    }
  }

  function setStatus(_state: BatchState, status: DeliveryStatus, reason?: string): void {
    state.status = status;
    state.reason = reason;
    setCurrentDetails(`**${status}** after ${state.attempts} attempt(s)${reason ? ` (${reason})` : ''}, ${items.length} event(s)`);
    notify();
  }

  // The delivery series (workflows/deliverySeries.ts), as the event workflow runs it, for the batch as a unit.
  const series = deliverySeries<BatchState>({
    label: 'batch delivery',
    priorityLane: false,
    once: false,
    keepUrlAfterHold: true,
    endpointId: () => endpointId,
    operator: () => operator,
    deliverInput: (_state, target, url, seriesOffset) => ({
      event: batchEvent,
      endpointId,
      deliveryId: deliveryId(batchId, endpointId),
      target,
      url,
      attemptOffset: state.attempts,
      seriesOffset,
      batch,
    }),
    setStatus,
    delivered: (_state, status) => setStatus(state, status),
    emit: (type, data) => track(emitEvent({ id: `op_${uuid4()}`, type, occurredAt: new Date().toISOString(), data })),
  });

  // The members learn their batch at once (and stop handing themselves over).
  setStatus(state, 'pending', 'its batch is being delivered');
  await series.deliver(state, m, input.url);
  // The last update must reach the members before this workflow closes.
  while (background.size > 0) await Promise.all([...background]);
  return snapshot();
}
