import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GAUGED_STATUSES, type CountOf } from './visibilityCounts';

/**
 * The service's metrics, one registry per process: what the API counts (events accepted, ingest
 * refusals, and the gauges it reads from visibility) and what the worker counts (attempts,
 * first-attempt latency, finished deliveries).
 * Every label takes a value from a bounded set (event type, tenant, outcome, failure class):
 * never an id, a url or call data. The names are the contract of the dashboard in
 * docs/grafana/ (test/unit/grafanaDashboard.test.ts holds them together) and of docs/metrics.md.
 */

export const PREFIX = 'callback_events_';

/** Seconds; from a loopback answer to the longest attempt timeout. */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds; a first attempt may wait for a batch, an ordering window or a flow-control slot. */
const FIRST_ATTEMPT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** Seconds; an index read and a few filters, from microseconds to a slow store. */
const MATCHING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * `deliveriesNow`: how the gauges of deliveries now retrying, held, throttled and awaiting review
 * are read (visibility counts, cached: visibilityCounts.ts); a process without the API has none.
 */
export function createMetrics(options: { deliveriesNow?: CountOf } = {}) {
  const registry = new Registry();
  // The Node process's own (CPU, memory, event loop lag, GC), under their usual names.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsAccepted: new Counter({
      name: `${PREFIX}events_accepted_total`,
      help: 'Events the API accepted (202: Temporal holds the new event), by type and tenant.',
      labelNames: ['event_type', 'tenant'] as const,
      registers,
    }),
    eventsDuplicate: new Counter({
      name: `${PREFIX}events_duplicate_total`,
      help: 'Events posted again under a known id (200, duplicate: true; nothing new started), by type and tenant.',
      labelNames: ['event_type', 'tenant'] as const,
      registers,
    }),
    ingestRefused: new Counter({
      name: `${PREFIX}ingest_refused_total`,
      help: 'Event posts refused for load: 429 (over the key\'s rate) and 503 (Temporal or the store unavailable), by status.',
      labelNames: ['status'] as const,
      registers,
    }),
    attemptDuration: new Histogram({
      name: `${PREFIX}attempt_duration_seconds`,
      help: 'Delivery attempts (HTTP requests to receivers), by outcome class: success, failed (will retry), rejected (will not), or why no answer came (timeout, connect, dns, tls, blocked).',
      labelNames: ['outcome'] as const,
      buckets: ATTEMPT_BUCKETS,
      registers,
    }),
    firstAttemptLatency: new Histogram({
      name: `${PREFIX}first_attempt_latency_seconds`,
      help: 'From the event\'s arrival (its workflow\'s start) to the end of its delivery\'s first attempt, by tenant.',
      labelNames: ['tenant'] as const,
      buckets: FIRST_ATTEMPT_BUCKETS,
      registers,
    }),
    matchingDuration: new Histogram({
      name: `${PREFIX}matching_duration_seconds`,
      help: 'Matching one event to its endpoints in the worker: the subscription index read for its tenant and type, and the filters.',
      buckets: MATCHING_BUCKETS,
      registers,
    }),
    deliveriesFinished: new Counter({
      name: `${PREFIX}deliveries_finished_total`,
      help: 'Deliveries that reached an outcome (delivered, delivered_fallback, awaiting_review, discarded, expired, coalesced), by outcome, event type and tenant.',
      labelNames: ['outcome', 'event_type', 'tenant'] as const,
      registers,
    }),
    deliveriesNow: options.deliveriesNow ? deliveriesNowGauge(options.deliveriesNow, registers) : undefined,
  };
}

/**
 * Read on each scrape. A status whose count fails (Temporal unavailable) is left out of that
 * scrape rather than shown stale, and the scrape still answers.
 */
function deliveriesNowGauge(countOf: CountOf, registers: Registry[]) {
  return new Gauge({
    name: `${PREFIX}deliveries_current`,
    help: 'Event workflows with a delivery now in each status (retrying, held, throttled, awaiting_review), read from Temporal visibility.',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const counts = await Promise.allSettled(GAUGED_STATUSES.map((status) => countOf(status)));
      this.reset();
      counts.forEach((c, i) => {
        if (c.status === 'fulfilled') this.set({ status: GAUGED_STATUSES[i] }, c.value);
      });
    },
  });
}

export type ServiceMetrics = ReturnType<typeof createMetrics>;
