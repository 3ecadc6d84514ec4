/**
 * `npm run bench:call-context [-- --reads N]`: what case ids flowing back (docs/case-ids.md) add to
 * a delivery. Every delivery of a call event reads its call's context (one read by call id per
 * attempt); a capturing endpoint writes once per delivery and parses the answer (up to 64 KiB).
 * Measured on each store (SQLite in a temporary folder, PostgreSQL on a throwaway server), one
 * caller after another, so the figures are latencies, not a throughput ceiling. Prints a table.
 */
import { captureValues } from '../src/domain/capture';
import type { Store } from '../src/store/store';
import { measureOnEachStore } from './eachStore';
import { summarize } from './percentiles';

const CALLS = 10_000;

async function timed(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

const row = (what: string, samples: number[]) => {
  const s = summarize(samples.map((ms) => ms * 1000));
  return `| ${what} | ${s.count} | ${s.p50} | ${s.p99} | ${s.max} |`;
};

async function measureStore(kind: string, store: Store, reads: number): Promise<string[]> {
  const at = new Date();
  // A store holding many calls' context, as after a month of captures.
  for (let i = 0; i < CALLS; i++) await store.saveCallContext(`call-${i}`, { caseId: `CASE-${i}` }, at);
  const writes = await timed(reads, (i) => store.saveCallContext(`call-${i % CALLS}`, { caseId: `CASE-${i}`, ticket: i }, at));
  const hits = await timed(reads, (i) => store.getCallContext(`call-${(i * 7919) % CALLS}`));
  const misses = await timed(reads, (i) => store.getCallContext(`call-none-${i}`));
  return [
    row(`${kind}: read a call's context (held)`, hits),
    row(`${kind}: read a call's context (none)`, misses),
    row(`${kind}: capture (save 2 names)`, writes),
  ];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reads = Number(args[args.indexOf('--reads') + 1] || 2_000) || 2_000;
  const lines = ['| what | samples | p50 µs | p99 µs | max µs |', '| --- | --- | --- | --- | --- |'];

  // A CRM's usual answer (about 1 KiB), and one near the 64 KiB read limit.
  for (const items of [6, 600]) {
    const body = JSON.stringify({ id: 'CASE-1042', items: Array.from({ length: items }, (_, i) => ({ id: `I-${i}`, note: 'n'.repeat(80) })) });
    const parses = await timed(reads, () => captureValues({ caseId: '/id', first: '/items/0/id' }, body));
    lines.push(row(`parse a ${Math.max(1, Math.round(body.length / 1024))} KiB answer and capture 2 names`, parses));
  }

  lines.push(...(await measureOnEachStore('context', (kind, store) => measureStore(kind, store, reads))));
  console.log(lines.join('\n'));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
