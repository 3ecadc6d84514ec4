import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DISCARD_DESCRIPTION,
  discardSignal,
  RESEND_DESCRIPTION,
  resendSignal,
  REVIEW_WINDOW,
  searchAttributes,
  statusQuery,
} from './definitions';
import { FAILURE_TYPES } from './failures';
import { deliveryId } from './ids';
import type {
  AttemptReport,
  CallbackEventInput,
  DeliverySnapshot,
  DeliveryStatus,
  DeliveryTarget,
  EventSnapshot,
  EventStatus,
  MatchedEndpoint,
} from './types';

/**
 * One workflow per event: match endpoints, then for each match deliver with the endpoint's
 * retry policy, fall back, and finally wait for an operator's resend or discard.
 */

const { matchEndpoints } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  // The store may be briefly unavailable; keep trying rather than lose the event.
  retry: { initialInterval: '200 ms', maximumInterval: '30 seconds' },
});

/** The order in which a delivery's state speaks for the whole event: what needs attention first. */
const STATUS_WEIGHT: Record<DeliveryStatus, number> = {
  awaiting_review: 7,
  retrying: 6,
  pending: 5,
  expired: 4,
  discarded: 3,
  delivered_fallback: 2,
  delivered: 1,
};

type ReviewAction = { kind: 'resend'; url?: string } | { kind: 'discard' };

interface DeliveryState extends DeliverySnapshot {
  action?: ReviewAction;
}

export async function callbackEvent(input: CallbackEventInput): Promise<EventSnapshot> {
  const { event, probe } = input;
  const deliveries: DeliveryState[] = [];
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
  function publish(): void {
    const pairs = deliveries.map((d) => `${d.endpointId}:${d.status}`);
    const key = `${eventStatus()}|${pairs.join(',')}`;
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: searchAttributes.status, value: eventStatus() },
      { key: searchAttributes.endpoints, value: deliveries.map((d) => d.endpointId) },
      { key: searchAttributes.deliveries, value: pairs },
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
  }

  function requestAction(endpointId: string | undefined, action: ReviewAction): void {
    for (const d of deliveries) {
      if (d.status === 'awaiting_review' && (endpointId === undefined || d.endpointId === endpointId)) d.action = action;
    }
  }

  setHandler(statusQuery, snapshot);
  setHandler(resendSignal, ({ endpointId, url } = {}) => requestAction(endpointId, { kind: 'resend', url }), {
    description: RESEND_DESCRIPTION,
  });
  setHandler(discardSignal, ({ endpointId } = {}) => requestAction(endpointId, { kind: 'discard' }), {
    description: DISCARD_DESCRIPTION,
  });

  /** Outcome of one attempt series: delivered, failed, or a reason that ends the delivery at once. */
  type SeriesOutcome = 'delivered' | 'failed' | { end: DeliveryStatus; reason: string };

  function record(d: DeliveryState, report: AttemptReport | undefined, delivered: boolean): void {
    if (!report) return;
    d.attempts = Math.max(d.attempts, report.attempt);
    d.lastStatusCode = report.statusCode;
    d.lastError = delivered ? undefined : report.message;
    if (delivered) d.deliveredAt = report.at;
  }

  async function attempt(
    d: DeliveryState,
    deliver: Activities['deliver'],
    target: DeliveryTarget,
    url: string | undefined,
  ): Promise<SeriesOutcome> {
    try {
      const report = await deliver({ event, endpointId: d.endpointId, target, url, attemptOffset: d.attempts });
      record(d, report, true);
      return 'delivered';
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure) {
        record(d, cause.details?.[0] as AttemptReport | undefined, false);
        if (cause.type === FAILURE_TYPES.endpointDeleted) return { end: 'discarded', reason: 'the endpoint was deleted' };
        if (cause.type === FAILURE_TYPES.endpointDisabled) return { end: 'awaiting_review', reason: 'the endpoint is disabled' };
      } else {
        // The attempt outlived its activity timeout; count it, as the receiver may have seen it.
        d.attempts += 1;
        d.lastError = 'the attempt timed out';
      }
      return 'failed';
    }
  }

  /** One series of attempts under the endpoint's retry policy, declared as a Temporal RetryPolicy. */
  async function series(d: DeliveryState, m: MatchedEndpoint, target: DeliveryTarget, url?: string): Promise<SeriesOutcome> {
    const r = m.retry;
    const options = {
      startToCloseTimeout: r.attemptTimeoutMs + 5_000,
      summary: `${target === 'fallback' ? 'fallback ' : ''}delivery to ${m.endpointId}`,
    };
    // The first attempt runs alone so the workflow can show `retrying` as soon as it fails.
    const first = proxyActivities<Activities>({ ...options, retry: { maximumAttempts: 1 } });
    const outcome = await attempt(d, first.deliver, target, url);
    if (outcome !== 'failed' || r.maxAttempts <= 1 || probe) return outcome;
    setStatus(d, 'retrying');
    await sleep(r.initialIntervalMs);
    const rest = proxyActivities<Activities>({
      ...options,
      retry: {
        // Continues the same schedule: the delay after attempt n is initial × coefficient^(n-1).
        initialInterval: Math.min(r.initialIntervalMs * r.backoffCoefficient, r.maxIntervalMs),
        backoffCoefficient: r.backoffCoefficient,
        maximumInterval: r.maxIntervalMs,
        maximumAttempts: r.maxAttempts - 1,
      },
    });
    return attempt(d, rest.deliver, target, url);
  }

  async function awaitReview(d: DeliveryState, m: MatchedEndpoint, reason: string): Promise<void> {
    for (;;) {
      setStatus(d, 'awaiting_review', reason);
      const acted = await condition(() => d.action !== undefined, REVIEW_WINDOW);
      if (!acted) return setStatus(d, 'expired', 'no resend or discard within the review window');
      const action = d.action!;
      d.action = undefined;
      if (action.kind === 'discard') return setStatus(d, 'discarded', 'discarded by an operator');
      setStatus(d, 'pending');
      const outcome = await series(d, m, 'primary', action.url);
      if (outcome === 'delivered') return setStatus(d, 'delivered');
      if (outcome !== 'failed') return setStatus(d, outcome.end, outcome.reason);
      reason = 'the resend failed';
    }
  }

  async function deliverTo(m: MatchedEndpoint): Promise<void> {
    const d = deliveries.find((x) => x.endpointId === m.endpointId)!;
    let outcome = await series(d, m, 'primary');
    if (outcome === 'delivered') return setStatus(d, 'delivered');
    if (probe) return setStatus(d, 'discarded', 'an endpoint test is attempted once');
    if (outcome === 'failed' && m.hasFallback) {
      setStatus(d, 'retrying', 'delivering to the fallback url');
      outcome = await series(d, m, 'fallback');
      if (outcome === 'delivered') return setStatus(d, 'delivered_fallback');
    }
    if (outcome !== 'failed' && outcome.end !== 'awaiting_review') return setStatus(d, outcome.end, outcome.reason);
    const reason = outcome === 'failed' ? (m.hasFallback ? 'the url and the fallback url failed' : 'every attempt failed') : outcome.reason;
    await awaitReview(d, m, reason);
  }

  const matches = await matchEndpoints({ event, onlyEndpointId: probe?.endpointId });
  matched = true;
  for (const m of matches) {
    deliveries.push({ id: deliveryId(event.id, m.endpointId), endpointId: m.endpointId, status: 'pending', attempts: 0 });
  }
  publish();
  await Promise.all(matches.map(deliverTo));
  return snapshot();
}
