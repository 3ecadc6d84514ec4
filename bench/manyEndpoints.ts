import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { resolveKeys } from '../src/crypto/keys';
import { producerEventTypes, type EventType } from '../src/domain/catalog';
import type { EndpointSettings } from '../src/domain/endpoint';
import { DEFAULT_TENANT_ID } from '../src/domain/tenant';
import { openStore } from '../src/store/openStore';
import type { Store } from '../src/store/store';
import { ROOT } from '../test/helpers/processes';
import { closedIngest, type ClosedIngestResult, type Ctx } from './phases';
import type { BenchStack } from './stacks';

/**
 * `--endpoints N`: does matching grow with the platform? The e2e closed loop runs twice on one
 * stack: with the bench's own endpoints, then once the store holds N endpoints, 100 tenants of
 * N/100 each, written straight into the store (the API would take minutes). The event's tenant
 * (`default`) has N/100 of them, of which one matches the event (the others are subscribed to
 * other types, or filtered out); the other tenants' endpoints cover every type. The worker's
 * matching time per event is read from its metrics (callback_events_matching_duration_seconds).
 */

const TENANTS = 100;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

interface MatchingSample {
  sum: number;
  count: number;
  /** Cumulative counts by upper bound (seconds). */
  buckets: Array<[number, number]>;
}

/** The matching histogram as the worker's /metrics shows it now. */
async function matchingSample(metricsUrl: string): Promise<MatchingSample> {
  const text = await (await fetch(metricsUrl)).text();
  const name = 'callback_events_matching_duration_seconds';
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix}(?:\\{\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map(
    (m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])] as [number, number],
  );
  return { sum: value('sum'), count: value('count'), buckets };
}

/** Matching over a window: events matched, mean, and the bucket bounds under which half and 99 % fell (ms). */
function matchingBetween(a: MatchingSample, b: MatchingSample) {
  const count = b.count - a.count;
  const within = (q: number) => {
    const bound = b.buckets.find(([le], i) => b.buckets[i][1] - (a.buckets[i]?.[1] ?? 0) >= q * count)?.[0] ?? Infinity;
    return bound === Infinity ? 'inf' : round(bound * 1000, 2);
  };
  return { events: count, mean_ms: count > 0 ? round(((b.sum - a.sum) / count) * 1000, 3) : 0, p50_at_most_ms: within(0.5), p99_at_most_ms: within(0.99) };
}

/** The store the service runs on, opened as the service opens it (its configuration, its master key). */
async function serviceStore(stack: BenchStack, dataDir: string): Promise<Store> {
  const config = loadConfig({ DATA_DIR: dataDir, ...stack.serviceEnv });
  const keys = resolveKeys({ master: config.masterKeys, payload: config.payloadKeys }, config.dataDir);
  return openStore(config, keys.master);
}

/** Runs `fn` on each item, `concurrency` at a time. */
async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Fills the store to `total` endpoints: 100 tenants (`default` and 99 more), total/100 each. */
export async function populate(store: Store, total: number, receiverUrl: string): Promise<{ endpoints: number; tenants: number; seconds: number }> {
  const started = Date.now();
  const perTenant = Math.floor(total / TENANTS);
  const others = producerEventTypes.filter((t) => t !== 'call_completed');
  const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
  const jobs: Array<{ id: string; tenantId: string; eventTypes?: EventType[]; filter?: EndpointSettings['filter'] }> = [];
  // The event's tenant: its bench endpoints, then endpoints of other types up to its share.
  const own = (await store.listEndpoints(DEFAULT_TENANT_ID)).length;
  for (let k = own; k < perTenant; k++) jobs.push({ id: `many-d-${k}`, tenantId: DEFAULT_TENANT_ID, eventTypes: [others[k % others.length]] });
  for (let t = 1; t < TENANTS; t++) {
    const tenantId = `bench-tenant-${String(t).padStart(3, '0')}`;
    await store.createTenant({ id: tenantId, settings: { name: `Bench tenant ${t}` } });
    for (let k = 0; k < perTenant; k++) {
      // Every type, some endpoints on all types, a third with a filter: as a platform's would be.
      const all = k % 5 === 0;
      jobs.push({
        id: `many-${t}-${k}`,
        tenantId,
        ...(all ? {} : { eventTypes: [producerEventTypes[k % producerEventTypes.length]] }),
        ...(k % 3 === 0 ? { filter: { 'data.disposition': { $in: ['qualified', 'callback'] } } } : {}),
      });
    }
  }
  await eachLimited(jobs, 8, async ({ id, tenantId, eventTypes, filter }) => {
    await store.createEndpoint({
      id,
      tenantId,
      secret: secret(),
      settings: { url: `${receiverUrl}/many/${tenantId}/${id}`, ...(eventTypes ? { eventTypes } : {}), ...(filter ? { filter } : {}) },
    });
  });
  return { endpoints: (await store.listEndpoints()).length, tenants: TENANTS, seconds: round((Date.now() - started) / 1000) };
}

/** One e2e loop with the worker's matching time over it. */
async function measuredLoop(ctx: Ctx, phase: 'e2e' | 'many', metricsUrl: string) {
  const before = await matchingSample(metricsUrl);
  const e2e: ClosedIngestResult = await closedIngest(ctx, phase);
  const matching = matchingBetween(before, await matchingSample(metricsUrl));
  ctx.log(`    ${e2e.deliveries_per_s} deliveries/s; matching ${matching.mean_ms} ms per event (${matching.events} events)`);
  return { e2e, matching };
}

/**
 * A loop's figures. CPU per delivery (the service's processes over the measured window) moves less
 * with the neighbours than deliveries/s does on a shared machine: compare both.
 */
function summary({ e2e, matching }: Awaited<ReturnType<typeof measuredLoop>>) {
  const perDelivery = (s: number) => (e2e.deliveries_in_window > 0 ? round((s * 1000) / e2e.deliveries_in_window, 2) : 0);
  return {
    deliveries_per_s: e2e.deliveries_per_s,
    matching,
    cpu_ms_per_delivery: { server: perDelivery(e2e.cpu_s.server), postgres: perDelivery(e2e.cpu_s.postgres), worker: perDelivery(e2e.cpu_s.worker), api: perDelivery(e2e.cpu_s.api) },
    cores: e2e.cores,
    deliveries_in_window: e2e.deliveries_in_window,
  };
}

/** `--endpoints N` alone; its figures go to bench/results/endpoints-latest.json (or --out). */
export async function manyEndpointsOnly(ctx: Ctx, stack: BenchStack, run: { startedAt: Date; machine: unknown; dataDir: string }): Promise<number> {
  const metricsUrl = stack.workerMetricsUrl;
  if (!metricsUrl) throw new Error('the worker serves no metrics: --endpoints needs its matching histogram');
  const total = ctx.opts.endpoints;
  ctx.log(`endpoints 1/3: e2e with the bench's ${Object.values(ctx.paths).flat().length} endpoints`);
  const single = await measuredLoop(ctx, 'e2e', metricsUrl);
  ctx.log(`endpoints 2/3: the store filled to ${total} endpoints (${TENANTS} tenants)`);
  const store = await serviceStore(stack, run.dataDir);
  let filled: Awaited<ReturnType<typeof populate>>;
  try {
    filled = await populate(store, total, ctx.receiver.url);
  } finally {
    await store.close();
  }
  ctx.log(`    ${filled.endpoints} endpoints in ${filled.seconds} s`);
  ctx.log(`endpoints 3/3: e2e with ${filled.endpoints} endpoints, one matching`);
  const many = await measuredLoop(ctx, 'many', metricsUrl);
  const ratio = single.e2e.deliveries_per_s > 0 ? round(many.e2e.deliveries_per_s / single.e2e.deliveries_per_s, 3) : 0;
  const lost = single.e2e.drained.expected - single.e2e.drained.received + (many.e2e.drained.expected - many.e2e.drained.received);
  const result = {
    started_at: run.startedAt.toISOString(),
    machine: run.machine,
    topology: stack.kind,
    options: ctx.opts,
    store: filled,
    single_endpoint: summary(single),
    many_endpoints: summary(many),
    ratio_many_over_single: ratio,
    lost,
  };
  const out = ctx.opts.out ?? path.join(ROOT, 'bench/results/endpoints-latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const row = (name: string, r: typeof result.single_endpoint) => {
    const cpu = r.cpu_ms_per_delivery;
    return `| ${name} | ${r.deliveries_per_s} | ${cpu.server}, ${cpu.postgres}, ${cpu.worker}, ${cpu.api} | ${r.matching.mean_ms} | ${r.matching.p50_at_most_ms} | ${r.matching.p99_at_most_ms} | ${r.matching.events} | ${r.cores.others} |`;
  };
  process.stdout.write(
    [
      '| run | e2e deliveries/s | CPU ms/delivery server, postgres, worker, api | matching ms/event mean | p50 ≤ ms | p99 ≤ ms | events matched | others\' cores |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      row('the bench\'s endpoints', result.single_endpoint),
      row(`${filled.endpoints} endpoints, ${TENANTS} tenants`, result.many_endpoints),
      `ratio ${ratio} (many / single); lost ${lost}`,
    ].join('\n') + '\n',
  );
  ctx.log(`wrote ${out}`);
  return lost === 0 ? 0 : 1;
}
