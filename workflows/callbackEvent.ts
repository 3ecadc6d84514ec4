import { condition, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import {
  deliveryId,
  DISCARD_DESCRIPTION,
  DISCARD_OPEN_DESCRIPTION,
  discardOpenSignal,
  discardSignal,
  eventQuery,
  FINAL_STATUSES,
  isOperational,
  RELEASE_DESCRIPTION,
  releaseSignal,
  RESEND_DESCRIPTION,
  resendSignal,
  statusQuery,
  type CallbackEventInput,
  type DeliverySnapshot,
  type DeliveryStatus,
  type EventSnapshot,
  type MatchedEndpoint,
  type OperationalEventType,
} from './contract';
import { batchInbox, deliverBatched } from './batching';
import { coalescing } from './coalescing';
import { deliveryMetrics } from './deliveryMetrics';
import { deliverySeries, type Action } from './deliverySeries';
import { firstTaskGate, plainDelivery } from './firstAttempt';
import { perCallOrdering } from './ordering';
import { matchEndpoints, emitEvent } from './serviceActivities';
import { eventVisibility } from './visibility';

/**
 * One workflow per event: match endpoints, then for each match deliver with the endpoint's
 * retry policy, fall back, and finally wait for an operator's resend or discard. Deliveries to
 * a disabled endpoint are held until it is enabled again. Deleting the event's tenant
 * (`discard_open`) ends every delivery still open at once, and the workflow with it.
 */

interface DeliveryState extends DeliverySnapshot {
  action?: Action;
}

export async function callbackEvent(input: CallbackEventInput): Promise<EventSnapshot> {
  const { event, probe, redeliver, tenantId } = input;
  // Only a run started for it takes the fast path, so older runs replay as they ran.
  const localFirst = input.firstAttempt === 'local' && !redeliver;
  // A sample (an endpoint test, or a resend of one, which runs without `probe`) is no real call:
  // it begets no operational events, batches or call ordering, whatever type it wears.
  const sample = probe !== undefined || event.test === true;
  // Operational events never beget operational events: a failing subscriber would loop.
  const emitsOperational = !sample && !isOperational(event.type);
  const deliveries: DeliveryState[] = [];
  const matches = new Map<string, MatchedEndpoint>();
  const tasks = new Set<Promise<void>>();
  const visibility = eventVisibility(deliveries);
  const firstTask = firstTaskGate();
  const metrics = deliveryMetrics(event, tenantId, sample);
  // The event's arrival, for the first attempt's latency; a redelivery run starts long after it.
  const acceptedAt = redeliver ? undefined : workflowInfo().startTime.getTime();

  const snapshot = (): EventSnapshot => ({
    id: event.id,
    type: event.type,
    status: visibility.status(),
    deliveries: deliveries.map(({ action: _action, ...d }) => d),
  });

  function setStatus(d: DeliveryState, status: DeliveryStatus, reason?: string): void {
    metrics.statusChanged(d.status, status);
    d.status = status;
    d.reason = reason;
    if (status !== 'coalesced') delete d.coalescedBy;
    visibility.changed(d);
    visibility.publish();
    ordering.statusChanged(d);
  }

  function spawn(task: Promise<void>): void {
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  }

  function emit(type: OperationalEventType, data: Record<string, unknown>): void {
    if (!emitsOperational) return;
    // uuid4() is replay-safe, and activity retries reuse it: the operational event is started once.
    spawn(emitEvent({ id: `op_${uuid4()}`, type, occurredAt: new Date().toISOString(), data }, tenantId).then(() => undefined));
  }

  function deliveryFacts(d: DeliveryState): Record<string, unknown> {
    const callId = event.data.callId;
    return {
      ...(typeof callId === 'string' ? { callId } : {}),
      deliveryId: d.id,
      eventId: event.id,
      eventType: event.type,
      endpointId: d.endpointId,
      status: d.status,
      attempts: d.attempts,
      ...(d.reason ? { reason: d.reason } : {}),
    };
  }

  const selects = (d: DeliveryState, endpointId?: string) => endpointId === undefined || d.endpointId === endpointId;
  // Ordering per call (workflows/ordering.ts): before any status changes, which it watches.
  const takeAction = (d: DeliveryState) => {
    const action = d.action;
    d.action = undefined;
    return action;
  };
  const ordering = perCallOrdering({ event, probe: sample, setStatus, spawn, takeAction });
  // Coalescing (workflows/coalescing.ts): only a delivery's first series; a resend goes straight to deliverTo.
  const coalesce = coalescing({ event, probe: sample, setStatus });

  setHandler(statusQuery, snapshot);
  setHandler(eventQuery, () => event);
  setHandler(
    resendSignal,
    ({ endpointId, url } = {}) => {
      for (const d of deliveries) {
        if (!selects(d, endpointId)) continue;
        if (d.status === 'awaiting_review') d.action = { kind: 'resend', url };
        // A finished delivery of a workflow still open for others starts over here, in this run.
        else if (endpointId !== undefined && FINAL_STATUSES.includes(d.status) && matches.has(d.endpointId) && !probe) {
          // A coalesced delivery was never tried: delivering it now recovers nothing.
          const wasReviewed = d.status !== 'delivered' && d.status !== 'coalesced';
          setStatus(d, 'pending');
          spawn(deliverTo(d, matches.get(d.endpointId)!, url, wasReviewed));
        }
      }
    },
    { description: RESEND_DESCRIPTION },
  );
  setHandler(
    discardSignal,
    ({ endpointId, reason } = {}) => {
      for (const d of deliveries) {
        if (selects(d, endpointId) && (d.status === 'awaiting_review' || d.status === 'held')) d.action = { kind: 'discard', reason };
      }
    },
    { description: DISCARD_DESCRIPTION },
  );
  setHandler(
    releaseSignal,
    ({ endpointId }) => {
      for (const d of deliveries) if (d.endpointId === endpointId && d.status === 'held') d.action = { kind: 'release' };
    },
    { description: RELEASE_DESCRIPTION },
  );
  /**
   * Set once the event's tenant is deleted: what is still open is discarded now, whatever it waits
   * for (a retry's backoff, a flow-control slot, its turn, a hold, review). The workflow then ends,
   * and the timers and activity retries it waited on end with it: no further attempt goes out.
   */
  let closing: { reason: string } | undefined;
  setHandler(discardOpenSignal, ({ reason }) => void (closing ??= { reason }), { description: DISCARD_OPEN_DESCRIPTION });
  const batchUpdates = batchInbox();

  function delivered(d: DeliveryState, status: 'delivered' | 'delivered_fallback', reviewed: boolean): void {
    setStatus(d, status);
    if (reviewed) emit('delivery_recovered', deliveryFacts(d));
  }

  // The delivery series (workflows/deliverySeries.ts), as this workflow runs it for each delivery.
  const series = deliverySeries<DeliveryState>({
    label: 'delivery',
    priorityLane: true,
    once: Boolean(probe),
    keepUrlAfterHold: false,
    endpointId: (d) => d.endpointId,
    operator: (d) => d,
    deliverInput: (d, target, url, seriesOffset) => ({
      event,
      endpointId: d.endpointId,
      deliveryId: d.id,
      target,
      url,
      attemptOffset: d.attempts,
      seriesOffset,
      ...(acceptedAt === undefined ? {} : { acceptedAt }),
      ...ordering.deliverFlags(d.endpointId),
    }),
    setStatus,
    delivered,
    emit,
    exhausted: (d) => emit('delivery_exhausted', deliveryFacts(d)),
    firstAttempt: (d, out) => visibility.firstAttempt(d, out),
    localFirst: (d, m) => {
      if (!localFirst || d.attempts !== 0 || !plainDelivery(m)) return undefined;
      visibility.localFirst(d);
      return firstTask;
    },
  });

  /** Batching (workflows/batching.ts): the batch is delivered as a unit; this delivery mirrors it. */
  async function deliverBatchedTo(d: DeliveryState, m: MatchedEndpoint, url: string | undefined, wasReviewed: boolean): Promise<void> {
    return deliverBatched({
      inbox: batchUpdates, event, d, m, url, wasReviewed,
      setStatus: (status, reason) => setStatus(d, status, reason),
      delivered: (status, reviewed) => delivered(d, status, reviewed),
      exhausted: () => emit('delivery_exhausted', deliveryFacts(d)),
    });
  }

  function deliverTo(d: DeliveryState, m: MatchedEndpoint, url?: string, wasReviewed = false): Promise<void> {
    return m.batch && !sample ? deliverBatchedTo(d, m, url, wasReviewed) : series.deliver(d, m, url, wasReviewed);
  }

  if (redeliver) {
    for (const carried of redeliver.carried) if (carried.endpointId !== redeliver.endpointId) deliveries.push({ ...carried });
    const [m] = await matchEndpoints({ event, onlyEndpointId: redeliver.endpointId, tenantId });
    const before = redeliver.carried.find((c) => c.endpointId === redeliver.endpointId);
    const d: DeliveryState = {
      id: deliveryId(event.id, redeliver.endpointId),
      endpointId: redeliver.endpointId,
      status: 'pending',
      attempts: before?.attempts ?? 0,
    };
    deliveries.push(d);
    visibility.markMatched();
    if (m && !closing) {
      matches.set(m.endpointId, m);
      spawn(deliverTo(d, m, redeliver.url, before !== undefined && before.status !== 'delivered' && before.status !== 'coalesced'));
    } else if (!m) {
      setStatus(d, 'discarded', 'the endpoint was deleted');
    }
  } else {
    for (const m of await matchEndpoints({ event, onlyEndpointId: probe?.endpointId, tenantId })) {
      matches.set(m.endpointId, m);
      const d: DeliveryState = { id: deliveryId(event.id, m.endpointId), endpointId: m.endpointId, status: 'pending', attempts: 0 };
      deliveries.push(d);
      if (!closing) spawn(ordering.inTurn(d, m, () => coalesce.first(d, m, () => deliverTo(d, m))));
    }
    visibility.markMatched();
  }
  visibility.publish();
  const settled = (async () => {
    while (tasks.size > 0) await Promise.all([...tasks]);
  })();
  await Promise.race([settled, condition(() => closing !== undefined)]);
  if (closing) for (const d of deliveries) if (!FINAL_STATUSES.includes(d.status)) setStatus(d, 'discarded', closing.reason);
  return snapshot();
}
