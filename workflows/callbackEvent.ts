import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import {
  deliveryId,
  DISCARD_DESCRIPTION,
  discardSignal,
  eventQuery,
  FAILURE_TYPES,
  FINAL_STATUSES,
  isOperational,
  RELEASE_DESCRIPTION,
  releaseSignal,
  RESEND_DESCRIPTION,
  resendSignal,
  searchAttributes,
  statusQuery,
  type Activities,
  type AttemptReport,
  type CallbackEventInput,
  type DeliverySnapshot,
  type DeliveryStatus,
  type DeliveryTarget,
  type EventSnapshot,
  type EventStatus,
  type MatchedEndpoint,
  type OperationalEventType,
  type ThrottleReport,
} from './contract';
import { batchInbox, deliverBatched } from './batching';
import { laterAttemptsRetry, stopFor, type SeriesOutcome } from './deliverySeries';
import { perCallOrdering } from './ordering';
import { matchEndpoints, endpointState, emitEvent } from './serviceActivities';

/**
 * One workflow per event: match endpoints, then for each match deliver with the endpoint's
 * retry policy, fall back, and finally wait for an operator's resend or discard. Deliveries to
 * a disabled endpoint are held until it is enabled again.
 */


/** The order in which a delivery's state speaks for the whole event: what needs attention first. */
const STATUS_WEIGHT: Record<DeliveryStatus, number> = {
  awaiting_review: 8,
  held: 7,
  /** Waits for an earlier event of its call, which awaits review (ordering per call). */
  blocked: 6.5,
  retrying: 6,
  /** Waits for a slot under the endpoint's rate or concurrency limit (flow control). */
  throttled: 5.5,
  pending: 5,
  expired: 4,
  discarded: 3,
  delivered_fallback: 2,
  delivered: 1,
};

/** How often a held delivery looks at its endpoint by itself, in case a release signal was missed. */
const HOLD_POLL_FIRST_MS = 60_000;
const HOLD_POLL_MAX_MS = 3_600_000;

type Action = { kind: 'resend'; url?: string } | { kind: 'discard'; reason?: string } | { kind: 'release' };

interface DeliveryState extends DeliverySnapshot {
  action?: Action;
}

export async function callbackEvent(input: CallbackEventInput): Promise<EventSnapshot> {
  const { event, probe, redeliver } = input;
  // Operational events never beget operational events: a failing subscriber would loop.
  const emitsOperational = !probe && !isOperational(event.type);
  const deliveries: DeliveryState[] = [];
  const matches = new Map<string, MatchedEndpoint>();
  const tasks = new Set<Promise<void>>();
  let matched = false;

  const snapshot = (): EventSnapshot => ({
    id: event.id,
    type: event.type,
    status: eventStatus(),
    deliveries: deliveries.map(({ action: _action, ...d }) => d),
  });

  function eventStatus(): EventStatus {
    if (!matched) return 'pending';
    if (deliveries.length === 0) return 'filtered';
    return deliveries.reduce<DeliveryStatus>(
      (worst, d) => (STATUS_WEIGHT[d.status] > STATUS_WEIGHT[worst] ? d.status : worst),
      'delivered',
    );
  }

  let published = '';
  /** Deliveries whose first attempt is out right now (their answer usually comes within milliseconds). */
  const firstAttemptOut = new Set<string>();
  function publish(): void {
    if (!matched) return;
    // A delivery that finished while its siblings' first attempts are still out is published with
    // them, moments later: one search-attribute update (a visibility write) per event, not per endpoint.
    const settling = deliveries.some((d) => FINAL_STATUSES.includes(d.status)) &&
      deliveries.every((d) => FINAL_STATUSES.includes(d.status) || (d.status === 'pending' && firstAttemptOut.has(d.id)));
    if (settling && deliveries.some((d) => firstAttemptOut.has(d.id))) return;
    const pairs = deliveries.map((d) => `${d.endpointId}:${d.status}`);
    const key = `${eventStatus()}|${pairs.join(',')}`;
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: searchAttributes.status, value: eventStatus() },
      { key: searchAttributes.endpoints, value: deliveries.map((d) => d.endpointId) },
      { key: searchAttributes.deliveries, value: pairs },
      { key: searchAttributes.deliveryStatuses, value: [...new Set(deliveries.map((d) => d.status))] },
    ]);
    setCurrentDetails(
      deliveries.length === 0
        ? 'No endpoint matched this event.'
        : deliveries
            .map((d) => `- **${d.endpointId}**: ${d.status} after ${d.attempts} attempt(s)${d.reason ? ` (${d.reason})` : ''}`)
            .join('\n'),
    );
  }

  function setStatus(d: DeliveryState, status: DeliveryStatus, reason?: string): void {
    d.status = status;
    d.reason = reason;
    publish();
    ordering.statusChanged(d);
  }

  function spawn(task: Promise<void>): void {
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  }

  function emit(type: OperationalEventType, data: Record<string, unknown>): void {
    if (!emitsOperational) return;
    // uuid4() is replay-safe, and activity retries reuse it: the operational event is started once.
    spawn(emitEvent({ id: `op_${uuid4()}`, type, occurredAt: new Date().toISOString(), data }).then(() => undefined));
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
  const ordering = perCallOrdering({ event, probe, setStatus, spawn, takeAction });

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
          const wasReviewed = d.status !== 'delivered';
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
  const batchUpdates = batchInbox();

  function record(d: DeliveryState, report: AttemptReport | undefined, delivered: boolean): void {
    if (!report) return;
    d.attempts = Math.max(d.attempts, report.attempt);
    d.lastStatusCode = report.statusCode;
    d.lastError = delivered ? undefined : report.message;
    if (delivered) d.deliveredAt = report.at;
    if (report.disabledEndpoint) {
      emit('endpoint_disabled', { endpointId: d.endpointId, reason: report.disabledEndpoint, disabledAt: report.at });
    }
  }

  async function attempt(
    d: DeliveryState,
    deliver: Activities['deliver'],
    target: DeliveryTarget,
    url: string | undefined,
    seriesOffset: number,
    /** The same activity with the attempts left once `made` were made: for a try after a throttle. */
    again: (made: number) => Activities['deliver'] = () => deliver,
  ): Promise<SeriesOutcome> {
    try {
      const report = await deliver({
        event,
        endpointId: d.endpointId,
        deliveryId: d.id,
        target,
        url,
        attemptOffset: d.attempts,
        seriesOffset,
        ...ordering.deliverFlags(d.endpointId),
      });
      record(d, report, true);
      return 'delivered';
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.throttled) {
        // Flow control: no attempt was made. Wait, then the same attempt tries again, uncounted.
        const t = cause.details?.[0] as ThrottleReport;
        d.attempts = Math.max(d.attempts, t.lastAttempt);
        await throttle(d, t.waitMs);
        return attempt(d, again(seriesOffset + t.made), target, url, seriesOffset + t.made, again);
      }
      if (!(cause instanceof ApplicationFailure)) {
        // The attempt outlived its activity timeout; count it, as the receiver may have seen it.
        d.attempts += 1;
        d.lastError = 'the attempt timed out';
        return { kind: 'failed', reason: 'every attempt failed' };
      }
      const report = cause.details?.[0] as AttemptReport | undefined;
      record(d, report, false);
      return stopFor(cause, report);
    }
  }

  /** Shows `throttled` while waiting for a slot (a workflow timer), then the status it had. */
  async function throttle(d: DeliveryState, waitMs: number): Promise<void> {
    const { status, reason } = d;
    setStatus(d, 'throttled', "waiting for a slot under the endpoint's rate or concurrency limit");
    await sleep(waitMs);
    setStatus(d, status, reason);
  }

  /** One series of attempts under the endpoint's retry policy, declared as a Temporal RetryPolicy. */
  async function series(d: DeliveryState, m: MatchedEndpoint, target: DeliveryTarget, url?: string): Promise<SeriesOutcome> {
    const r = m.retry;
    const options = {
      startToCloseTimeout: r.attemptTimeoutMs + 5_000,
      summary: `${target === 'fallback' ? 'fallback ' : ''}delivery to ${m.endpointId}`,
      // The priority lane: ahead of routine tasks when the queue has a backlog.
      ...(m.priority === 'high' ? { priority: { priorityKey: 1 } } : {}),
    };
    // The first attempt runs alone so the workflow can show `retrying` as soon as it fails.
    const first = proxyActivities<Activities>({ ...options, retry: { maximumAttempts: 1 } });
    firstAttemptOut.add(d.id);
    const outcome = await attempt(d, first.deliver, target, url, 0).finally(() => firstAttemptOut.delete(d.id));
    if (outcome === 'delivered' || outcome.kind !== 'failed' || r.maxAttempts <= 1 || probe) return outcome;
    setStatus(d, 'retrying', target === 'fallback' ? 'delivering to the fallback url' : undefined);
    await sleep(outcome.nextDelayMs ?? r.initialIntervalMs);
    // `made`: attempts of this series so far (1, or more when a throttle interrupted the retries).
    const rest = (made: number) =>
      proxyActivities<Activities>({
        ...options,
        retry: laterAttemptsRetry(r, made),
      }).deliver;
    return attempt(d, rest(1), target, url, 1, rest);
  }

  /** Waits for an operator. Answers the resend to make, or undefined once discarded or expired. */
  async function review(d: DeliveryState, m: MatchedEndpoint, reason: string): Promise<{ url?: string } | undefined> {
    setStatus(d, 'awaiting_review', reason);
    emit('delivery_exhausted', deliveryFacts(d));
    for (;;) {
      const acted = await condition(() => d.action !== undefined, m.reviewWindowMs);
      if (!acted) {
        setStatus(d, 'expired', 'no resend or discard within the review window');
        return undefined;
      }
      const action = d.action!;
      d.action = undefined;
      if (action.kind === 'discard') {
        setStatus(d, 'discarded', action.reason ?? 'discarded by an operator');
        return undefined;
      }
      if (action.kind === 'resend') {
        setStatus(d, 'pending');
        return { url: action.url };
      }
    }
  }

  /** Waits while the endpoint is disabled. True once it is enabled again. */
  async function hold(d: DeliveryState, reason: string): Promise<boolean> {
    setStatus(d, 'held', reason);
    let pollMs = HOLD_POLL_FIRST_MS;
    for (;;) {
      const acted = await condition(() => d.action !== undefined, pollMs);
      const action = d.action;
      d.action = undefined;
      if (action?.kind === 'discard') {
        setStatus(d, 'discarded', action.reason ?? 'discarded by an operator');
        return false;
      }
      if (action?.kind === 'release') break;
      if (!acted) {
        const state = await endpointState(d.endpointId);
        if (state === 'enabled') break;
        if (state === 'deleted') {
          setStatus(d, 'discarded', 'the endpoint was deleted');
          return false;
        }
        pollMs = Math.min(pollMs * 2, HOLD_POLL_MAX_MS);
      }
    }
    setStatus(d, 'pending');
    return true;
  }

  function delivered(d: DeliveryState, status: 'delivered' | 'delivered_fallback', reviewed: boolean): void {
    setStatus(d, status);
    if (reviewed) emit('delivery_recovered', deliveryFacts(d));
  }

  async function deliverTo(d: DeliveryState, m: MatchedEndpoint, url?: string, wasReviewed = false): Promise<void> {
    if (m.batch && !probe) {
      // Batching (workflows/batching.ts): the batch is delivered as a unit; this delivery mirrors it.
      return deliverBatched({
        inbox: batchUpdates, event, d, m, url, wasReviewed,
        setStatus: (status, reason) => setStatus(d, status, reason),
        delivered: (status, reviewed) => delivered(d, status, reviewed),
        exhausted: () => emit('delivery_exhausted', deliveryFacts(d)),
      });
    }
    let reviewed = wasReviewed;
    let fallbackTried = false;
    let outcome = await series(d, m, 'primary', url);
    for (;;) {
      if (outcome === 'delivered') return delivered(d, 'delivered', reviewed);
      if (probe) return setStatus(d, 'discarded', 'an endpoint test is attempted once');
      if (outcome.kind === 'deleted') return setStatus(d, 'discarded', outcome.reason);
      if (outcome.kind === 'held') {
        if (!(await hold(d, outcome.reason))) return;
        outcome = await series(d, m, 'primary');
        continue;
      }
      if (outcome.kind !== 'gone' && m.hasFallback && !fallbackTried) {
        fallbackTried = true;
        setStatus(d, 'retrying', 'delivering to the fallback url');
        const fallback = await series(d, m, 'fallback');
        if (fallback === 'delivered') return delivered(d, 'delivered_fallback', reviewed);
        if (fallback.kind === 'held' || fallback.kind === 'deleted') {
          outcome = fallback;
          continue;
        }
        outcome = { kind: 'failed', reason: 'the url and the fallback url failed' };
      }
      const resend = await review(d, m, outcome.reason);
      if (!resend) return;
      reviewed = true;
      fallbackTried = true;
      outcome = await series(d, m, 'primary', resend.url);
    }
  }

  if (redeliver) {
    for (const carried of redeliver.carried) if (carried.endpointId !== redeliver.endpointId) deliveries.push({ ...carried });
    const [m] = await matchEndpoints({ event, onlyEndpointId: redeliver.endpointId });
    const before = redeliver.carried.find((c) => c.endpointId === redeliver.endpointId);
    const d: DeliveryState = {
      id: deliveryId(event.id, redeliver.endpointId),
      endpointId: redeliver.endpointId,
      status: 'pending',
      attempts: before?.attempts ?? 0,
    };
    deliveries.push(d);
    matched = true;
    if (m) {
      matches.set(m.endpointId, m);
      spawn(deliverTo(d, m, redeliver.url, before !== undefined && before.status !== 'delivered'));
    } else {
      setStatus(d, 'discarded', 'the endpoint was deleted');
    }
  } else {
    for (const m of await matchEndpoints({ event, onlyEndpointId: probe?.endpointId })) {
      matches.set(m.endpointId, m);
      const d: DeliveryState = { id: deliveryId(event.id, m.endpointId), endpointId: m.endpointId, status: 'pending', attempts: 0 };
      deliveries.push(d);
      spawn(ordering.inTurn(d, m, () => deliverTo(d, m)));
    }
    matched = true;
  }
  publish();
  while (tasks.size > 0) await Promise.all([...tasks]);
  return snapshot();
}
