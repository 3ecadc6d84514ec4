import { Client, Connection } from '@temporalio/client';
import { workflowIdForEvent } from '../../workflows/contract/ids';
import type { Admin } from '../chaos/admin';
import { chaosEvent, eventIds, until } from '../chaos/scenario';
import { Producer } from '../chaos/producer';
import type { Receiver } from '../helpers/receiver';

/**
 * An endpoint limited to `perSecond: 5, burst: 5`, fed through both APIs faster than that, its
 * deliveries made by 3 worker processes. The token bucket lives in the PostgreSQL store, shared by
 * every worker, so in any 1-second window at most burst + perSecond = 10 requests may reach the
 * receiver however the deliveries are spread. Which workers made them is read from each event's
 * workflow history (the identity on its activity tasks), so the check cannot pass with one worker.
 */

export const RATE = { perSecond: 5, burst: 5 };

export interface RateLimitResult {
  events: number;
  /** Distinct events the receiver accepted. */
  delivered: number;
  requests: number;
  /** The most requests that arrived within any 1-second window. */
  maxInAnySecond: number;
  /** From the first request to the last. */
  spanMs: number;
  /** Workers (by identity) that ran the events' delivery activities. */
  workers: string[];
  invalidSignatures: number;
}

/** The most of `times` (sorted, ms) within any window of `windowMs`, its start on one of them. */
export function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while (times[to] - times[from] >= windowMs) from++;
    best = Math.max(best, to - from + 1);
  }
  return best;
}

export async function rateLimitRun(o: {
  apis: string[];
  admin: Admin;
  receiver: Receiver;
  temporalAddress: string;
  tag: string;
  events: number;
  log: (msg: string) => void;
}): Promise<RateLimitResult> {
  const path = `/rate/${o.tag}`;
  const created = await o.admin.createEndpoint({
    id: `rate-${o.tag}`,
    url: o.receiver.urlFor(path),
    eventTypes: ['call_completed'],
    filter: { 'data.metadata.chaos': o.tag },
    rateLimit: RATE,
  });
  o.receiver.trust(path, created.secret);
  const ids = eventIds(o.tag, o.events);
  const producer = new Producer({ api: o.apis, ids, body: (id) => chaosEvent(o.tag, id), concurrency: 8, deadlineMs: 60_000 });
  const production = await producer.run();
  if (production.accepted.size !== o.events) throw new Error(`only ${production.accepted.size} of ${o.events} events were accepted`);
  o.log(`    ${o.events} events accepted through ${o.apis.length} APIs; delivering at ${RATE.perSecond}/s`);
  // (events - burst) / perSecond seconds at the limit, and room for a slow start.
  await until(() => o.receiver.ledger.count(path).distinct >= o.events, 30_000 + (o.events / RATE.perSecond) * 2_000, `${o.events} rate-limited deliveries`);

  const requests = o.receiver.requests.filter((r) => r.path === path);
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  return {
    events: o.events,
    delivered: o.receiver.ledger.count(path).distinct,
    requests: requests.length,
    maxInAnySecond: maxInWindow(times, 1_000),
    spanMs: times[times.length - 1] - times[0],
    workers: await activityWorkers(o.temporalAddress, ids),
    invalidSignatures: requests.filter((r) => r.signatureValid !== true).length,
  };
}

/** The identities of the workers that started the events' activity tasks. */
async function activityWorkers(address: string, eventIds: string[]): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const identities = new Set<string>();
    for (const id of eventIds) {
      const history = await client.workflow.getHandle(workflowIdForEvent(id)).fetchHistory();
      for (const event of history.events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    return [...identities].sort();
  } finally {
    await connection.close();
  }
}
