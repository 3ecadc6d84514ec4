import type { Admin, DeliveryView } from './admin';
import type { Receiver } from '../helpers/receiver';

/**
 * The account a scenario ends with. Every event the API acknowledged (2xx) owes one delivery to
 * each of the scenario's endpoints, and each must end up:
 *
 * - delivered: the receiver answered 200 to a request with that `webhook-id`, correctly signed,
 *   on one of the endpoint's paths (its url may have been edited meanwhile); or
 * - in review (`awaiting_review`), with a reason; or
 * - discarded because the scenario deleted its endpoint (legitimate, counted apart), which
 *   includes events matched after the deletion, which have no delivery to it at all;
 *
 * and anything else once the drain time is up is lost. Duplicates are the receiver's 200s for a
 * (endpoint, webhook-id) beyond the first: allowed (at least once), reported.
 */

export interface LedgerEndpoint {
  id: string;
  /** Every path its url has pointed at. */
  paths: string[];
  /** The scenario deleted it: deliveries discarded for that reason, or never made, are legitimate. */
  deleted?: boolean;
}

export interface Ledger {
  events: number;
  deliveries: number;
  delivered: number;
  inReview: number;
  discardedDeleted: number;
  lost: number;
  duplicates: number;
  requests: number;
  invalidSignatures: number;
  drainMs: number;
  /** A few lost deliveries with what the service said about them. */
  lostSamples: string[];
}

type Settled = { kind: 'review'; reason: string } | { kind: 'deleted' } | { kind: 'open'; status: string };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How the service's own account of one delivery settles it (or not). */
function judge(endpoint: LedgerEndpoint, view: DeliveryView | undefined): Settled {
  if (!view) return endpoint.deleted ? { kind: 'deleted' } : { kind: 'open', status: 'no delivery' };
  if (view.status === 'awaiting_review' && view.reason) return { kind: 'review', reason: view.reason };
  if (endpoint.deleted && view.status === 'discarded' && /deleted/.test(view.reason ?? '')) return { kind: 'deleted' };
  return { kind: 'open', status: `${view.status}${view.reason ? ` (${view.reason})` : ''}` };
}

export async function settleLedger(o: {
  accepted: Iterable<string>;
  endpoints: LedgerEndpoint[];
  receiver: Receiver;
  admin: Admin;
  drainTimeoutMs: number;
  log: (msg: string) => void;
}): Promise<Ledger> {
  const ids = [...o.accepted];
  const key = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;
  const settled = new Map<string, Settled>();
  const started = Date.now();
  const deadline = started + o.drainTimeoutMs;
  let drainMs = 0;
  let lastReport = 0;

  const outstanding = () => {
    const out: Array<{ eventId: string; endpoint: LedgerEndpoint }> = [];
    for (const eventId of ids) {
      for (const endpoint of o.endpoints) {
        if (o.receiver.ledger.delivered(eventId, endpoint.paths)) continue;
        const s = settled.get(key(eventId, endpoint.id));
        if (s && s.kind !== 'open') continue;
        out.push({ eventId, endpoint });
      }
    }
    return out;
  };

  /** Asks the service about each event still owed something (a workflow query each, a few at a time). */
  const askService = async (left: Array<{ eventId: string; endpoint: LedgerEndpoint }>) => {
    const byEvent = new Map<string, LedgerEndpoint[]>();
    for (const { eventId, endpoint } of left) byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), endpoint]);
    const queue = [...byEvent];
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [eventId, endpoints] = next;
        const views = await o.admin.deliveriesOf(eventId);
        for (const endpoint of endpoints) {
          const view = views?.find((d) => d.endpointId === endpoint.id);
          settled.set(key(eventId, endpoint.id), views ? judge(endpoint, view) : { kind: 'open', status: 'event unknown to Temporal' });
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));
  };

  // While deliveries keep arriving, the receiver is the cheap witness; the service is asked when
  // few are left, or when the count stops falling (what is left may be settled already: in review,
  // or discarded with a deleted endpoint, which the receiver cannot see).
  let lastCount = Infinity;
  let stalledSince = Date.now();
  for (;;) {
    o.receiver.ledger.reverify();
    let left = outstanding();
    if (left.length < lastCount) {
      lastCount = left.length;
      stalledSince = Date.now();
    }
    if (left.length > 0 && (left.length <= 40 || Date.now() - stalledSince > 6_000)) {
      await askService(left.slice(0, 400));
      left = outstanding();
      stalledSince = Date.now();
    }
    if (left.length === 0 || Date.now() > deadline) {
      drainMs = Date.now() - started;
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      o.log(`    draining: ${left.length} deliveries outstanding`);
    }
    await sleep(left.length > 40 ? 2_000 : 3_000);
  }

  // The final account; anything still open is asked about once more, for the report.
  o.receiver.ledger.reverify();
  const left = outstanding();
  if (left.length > 0) await askService(left.slice(0, 200));
  let delivered = 0;
  let inReview = 0;
  let discardedDeleted = 0;
  let lost = 0;
  const lostSamples: string[] = [];
  for (const eventId of ids) {
    for (const endpoint of o.endpoints) {
      if (o.receiver.ledger.delivered(eventId, endpoint.paths)) {
        delivered++;
        continue;
      }
      const s = settled.get(key(eventId, endpoint.id));
      if (s?.kind === 'review') inReview++;
      else if (s?.kind === 'deleted') discardedDeleted++;
      else {
        lost++;
        if (lostSamples.length < 10) lostSamples.push(`${eventId}~${endpoint.id}: ${s?.status ?? 'never received, not asked'}`);
      }
    }
  }

  const ownPaths = new Set(o.endpoints.flatMap((e) => e.paths));
  const endpointOfPath = new Map(o.endpoints.flatMap((e) => e.paths.map((p) => [p, e.id] as const)));
  const successes = new Map<string, number>();
  let requests = 0;
  let invalidSignatures = 0;
  for (const r of o.receiver.requests) {
    if (!ownPaths.has(r.path)) continue;
    requests++;
    if (!r.signatureValid) invalidSignatures++;
    if (r.status === 200) {
      const k = `${endpointOfPath.get(r.path)}~${r.webhookId}`;
      successes.set(k, (successes.get(k) ?? 0) + 1);
    }
  }
  const duplicates = [...successes.values()].reduce((n, c) => n + c - 1, 0);

  return {
    events: ids.length,
    deliveries: ids.length * o.endpoints.length,
    delivered,
    inReview,
    discardedDeleted,
    lost,
    duplicates,
    requests,
    invalidSignatures,
    drainMs,
    lostSamples,
  };
}
