/**
 * `npx tsx bench/matching.ts [--events N]`: matching's store read alone, one event after another,
 * on a store holding 10,000 endpoints (100 tenants of 100, as `npm run bench -- --endpoints 10000`
 * fills it), on SQLite and on a throwaway PostgreSQL. Three reads per event, the first two as
 * matching did before the subscription index, to compare on the same data:
 *  - every endpoint of the platform, each one's secrets opened (before tenants);
 *  - every endpoint of the event's tenant, each one's secrets opened (tenants, before the index);
 *  - the subscription index: the tenant's subscribers to the type, nothing opened (now).
 * Each read is followed by the same type and filter test, so the figures compare the reads. The
 * platform-wide read takes a second or so: it runs a twentieth as many times.
 */
import { createMatching } from '../activities/matching';
import type { Endpoint } from '../src/domain/endpoint';
import { compileFilter } from '../src/domain/filter';
import type { Store } from '../src/store/store';
import { isOperational, type CallbackEvent } from '../workflows/contract';
import { populate } from './manyEndpoints';
import { measureOnEachStore } from './eachStore';
import { summarize } from './percentiles';

const TOTAL = 10_000;
const eventsArg = process.argv.indexOf('--events');
const EVENTS = eventsArg > 0 ? Number(process.argv[eventsArg + 1]) : 300;

const event: CallbackEvent = { id: 'evt_bench', type: 'call_completed', occurredAt: '2026-11-30T10:00:00.000Z', data: { metadata: { phase: 'many' } } };
const filterable = { id: event.id, type: event.type, timestamp: event.occurredAt, data: event.data };

/** The type and filter test matching made before the index, over endpoints read whole. */
function filtered(endpoints: Endpoint[], cache: Map<string, (e: unknown) => boolean>): string[] {
  return endpoints
    .filter((e) => (e.eventTypes ? e.eventTypes.includes(event.type as never) : !isOperational(event.type)))
    .filter((e) => {
      if (!e.filter) return true;
      let test = cache.get(e.id);
      if (!test) cache.set(e.id, (test = compileFilter(e.filter)));
      return test(filterable);
    })
    .map((e) => e.id);
}

async function timed(label: string, read: () => Promise<string[]>, events = EVENTS): Promise<string> {
  const matched = await read(); // warm: statements prepared, filters compiled
  const samples: number[] = [];
  for (let i = 0; i < events; i++) {
    const t0 = process.hrtime.bigint();
    await read();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const s = summarize(samples);
  return `| ${label} | ${matched.length} | ${s.count} | ${s.p50} | ${s.p99} |`;
}

async function measure(kind: string, store: Store): Promise<string[]> {
  await store.createEndpoint({ id: 'bench-many-1', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', settings: { url: 'https://hooks.example.com/many', eventTypes: ['call_completed'], filter: { 'data.metadata.phase': 'many' } } });
  const filled = await populate(store, TOTAL, 'https://hooks.example.com');
  const caches = [new Map(), new Map()];
  const matching = createMatching({ store });
  return [
    await timed(`${kind}: every endpoint (${filled.endpoints}), secrets opened`, async () => filtered(await store.listEndpoints(), caches[0]), Math.ceil(EVENTS / 20)),
    await timed(`${kind}: the tenant's endpoints (${TOTAL / 100}), secrets opened`, async () => filtered(await store.listEndpoints('default'), caches[1])),
    await timed(`${kind}: the subscription index, nothing opened`, async () => (await matching.matchEndpoints({ event })).map((m) => m.endpointId)),
  ];
}

async function main(): Promise<void> {
  const lines = ['| read per event | matched | events | p50 µs | p99 µs |', '| --- | --- | --- | --- | --- |'];
  lines.push(...(await measureOnEachStore('matching', measure)));
  console.log(lines.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
