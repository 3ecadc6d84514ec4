import { callCompletedEvent } from '../../bench/ingest';
import type { Admin } from './admin';
import type { Ledger, LedgerEndpoint } from './ledger';
import { Producer, type Answer, type ProduceOptions, type Production } from './producer';
import { isHang } from '../helpers/faults';
import type { ProcessStack } from '../helpers/processStack';
import type { Receiver } from '../helpers/receiver';

/** What every scenario is given, and what it gives back. */

export interface ChaosContext {
  stack: ProcessStack;
  receiver: Receiver;
  admin: Admin;
  runId: string;
  log: (msg: string) => void;
  /** Deliveries a second to one endpoint the stack managed at best so far (the flood floods at twice this). */
  deliveryRate: { perS: number };
}

export interface ScenarioResult {
  name: string;
  ledger: Ledger;
  /** The faults injected, in words (kills, edits), besides the receivers' own. */
  faults: string[];
  /** Receiver faults during the scenario. */
  receiverFaults: { failed: number; hung: number };
  /** Anything that fails the suite besides loss: bad answers, invalid signatures, unbounded memory. */
  problems: string[];
  notes: string[];
  totalMs: number;
}

export interface Scenario {
  name: string;
  run(ctx: ChaosContext): Promise<ScenarioResult>;
}

/**
 * Retries fast enough that 30 % failures resolve within seconds: an attempt times out after 1 s
 * (the receivers' hangs last longer), retries after 0.2, 0.4, 0.8, 1.6, 2 s ... up to 12 attempts,
 * so 12 straight failures (0.33^12, about 1 in 600,000) are what sends a delivery to review.
 */
export const CHAOS_RETRY = { maxAttempts: 12, initialIntervalMs: 200, backoffCoefficient: 2, maxIntervalMs: 2_000, attemptTimeoutMs: 1_000 };

/** A `call_completed` event tagged with its scenario: each scenario's endpoints filter on the tag. */
export function chaosEvent(tag: string, id: string): Record<string, unknown> {
  return callCompletedEvent(id, { chaos: tag });
}

export function eventIds(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `evt_${tag}_${String(i).padStart(4, '0')}`);
}

/** An endpoint for the scenario `tag`, at `/chaos/<tag>/<name>` on the receiver, which learns its secret. */
export async function chaosEndpoint(ctx: Pick<ChaosContext, 'admin' | 'receiver'>, tag: string, name: string, extra: Record<string, unknown> = {}): Promise<LedgerEndpoint & { secret: string }> {
  const path = `/chaos/${tag}/${name}`;
  const id = `${tag}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const created = await ctx.admin.createEndpoint({
    id,
    url: ctx.receiver.urlFor(path),
    eventTypes: ['call_completed'],
    filter: { 'data.metadata.chaos': tag },
    retry: CHAOS_RETRY,
    // Hangs halve the AIMD cap; a high ceiling keeps the slow receivers from throttling the suite.
    maxConcurrency: 200,
    ...extra,
  });
  ctx.receiver.trust(path, created.secret);
  return { id: created.id, paths: [path], secret: created.secret };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `check` holds (polled), or rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * What the API answered, judged: only 2xx, 429 and 503 (those two with `Retry-After`) are
 * acceptable answers; connection errors only inside `connectionErrorsAllowed` (the API was down;
 * with several APIs, only from the one named by `api`, its index); and no 2xx to a request sent
 * inside `no2xx` (Temporal was down).
 */
export function judgeAnswers(
  production: Production,
  o: { connectionErrorsAllowed?: { from: number; to: number; api?: number }; no2xx?: { from: number; to: number } } = {},
): { problems: string[]; counts: Record<string, number> } {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const bad: Answer[] = [];
  let missingRetryAfter = 0;
  let twoXxWhileDown = 0;
  let connectionErrors = 0;
  for (const a of production.answers) {
    const label = a.status === 0 ? 'connection error' : String(a.status);
    counts[label] = (counts[label] ?? 0) + 1;
    const ok2xx = a.status >= 200 && a.status < 300;
    if (a.status === 429 || a.status === 503) {
      if (a.retryAfter === undefined) missingRetryAfter++;
    } else if (a.status === 0) {
      const w = o.connectionErrorsAllowed;
      // Refused or cut off while the API was down: answered after the kill, asked before it was back.
      if (!w || a.at < w.from || a.startedAt > w.to || (w.api !== undefined && a.api !== w.api)) connectionErrors++;
    } else if (!ok2xx) bad.push(a);
    if (ok2xx && o.no2xx && a.startedAt > o.no2xx.from && a.at < o.no2xx.to) twoXxWhileDown++;
  }
  if (bad.length > 0) problems.push(`${bad.length} answer(s) other than 2xx/429/503: ${[...new Set(bad.map((b) => b.status))].join(', ')}`);
  if (missingRetryAfter > 0) problems.push(`${missingRetryAfter} 429/503 answer(s) without Retry-After`);
  if (twoXxWhileDown > 0) problems.push(`${twoXxWhileDown} 2xx answer(s) while Temporal was down`);
  if (connectionErrors > 0) problems.push(`${connectionErrors} connection error(s) while the API was meant to be up`);
  if (production.abandoned.length > 0) problems.push(`${production.abandoned.length} event(s) never accepted within the producer's deadline`);
  return { problems, counts };
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** The most 200s a second the receiver gave under `prefix` over any `windowMs` window. */
export function peakRate(receiver: Receiver, prefix: string, windowMs = 10_000): number {
  const times = receiver.requests.filter((r) => r.status === 200 && r.path.startsWith(prefix)).map((r) => r.at);
  let best = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while (times[to] - times[from] > windowMs) from++;
    best = Math.max(best, to - from + 1);
  }
  return best / (windowMs / 1000);
}

/** The receivers' own faults on the scenario's paths: 500s and hangs. */
export function receiverFaults(receiver: Receiver, prefix: string): { failed: number; hung: number } {
  let failed = 0;
  let hung = 0;
  for (const r of receiver.requests) {
    if (!r.path.startsWith(prefix)) continue;
    if (isHang(r)) hung++;
    else if (r.status === 500) failed++;
  }
  return { failed, hung };
}

/**
 * The scenario's producer of `count` tagged events, retrying as a real producer would (429/503
 * after Retry-After, connection errors), for at most 5 minutes from its start. To the stack's API,
 * or spread across several (`apis`: the cluster suite's).
 */
export function chaosProducer(
  ctx: Pick<ChaosContext, 'stack'> | { apis: string[] },
  tag: string,
  count: number,
  options: Omit<ProduceOptions, 'api' | 'ids' | 'body' | 'deadlineMs'>,
): { ids: string[]; producer: Producer } {
  const ids = eventIds(tag, count);
  const api = 'apis' in ctx ? ctx.apis : ctx.stack.apiUrl;
  const producer = new Producer({ api, ids, body: (id) => chaosEvent(tag, id), deadlineMs: 300_000, ...options });
  return { ids, producer };
}
