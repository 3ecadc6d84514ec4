/**
 * `npm run bench:transforms [-- --runs N]`: what running transforms in threads costs. Per
 * evaluation: the same mapping evaluated in the calling thread (as before the pool) and through the
 * pool (the thread hop: the body copied over, the result copied back), one at a time and 16 in
 * flight. Per runaway: how long a transform that never returns takes to fail, and how long the
 * replacement thread takes before it answers (its start: tsx, jsonata). Prints numbers only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileTransform } from '../src/domain/transform';
import { createTransformPool, TRANSFORM_THREADS_DEFAULT } from '../src/transforms/pool';
import { percentile, summarize } from './percentiles';

/** The Salesforce mapping of docs/transforms.md, on a call_completed body like the tests'. */
const MAPPING = [...fs.readFileSync(path.join(__dirname, '../docs/transforms.md'), 'utf8').matchAll(/```jsonata\n([\s\S]*?)```/g)][0][1];
const BODY = {
  id: 'evt_1',
  type: 'call_completed',
  timestamp: '2026-11-29T10:00:05Z',
  data: {
    callId: 'call-42',
    startedAt: '2026-11-29T09:58:00Z',
    endedAt: '2026-11-29T10:00:00Z',
    durationMs: 120_400,
    endedReason: 'caller_hangup',
    disposition: 'booked',
    summary: 'Booked a visit for Tuesday',
    metadata: { leadId: '00Q5g00000ABCDE', opportunityId: '0065g00000XYZ12' },
  },
};
const RUNAWAY = `{ "m": $contains("${'a'.repeat(40)}!", /^(a+)+$/) }`;

const ms = (since: number) => performance.now() - since;
const line = (label: string, samples: number[]) => {
  const s = summarize(samples);
  console.log(`${label.padEnd(48)} n=${String(s.count).padEnd(6)} p50 ${s.p50.toFixed(2)}  p99 ${s.p99.toFixed(2)}  max ${s.max.toFixed(2)} ms`);
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] || 2000) || 2000;
  const kills = Math.max(3, Math.round(runs / 400));

  const started = performance.now();
  const pool = createTransformPool();
  await Promise.all(Array.from({ length: TRANSFORM_THREADS_DEFAULT }, () => pool.run({ jsonata: MAPPING }, BODY).catch(() => undefined)));
  console.log(`pool of ${TRANSFORM_THREADS_DEFAULT} threads: first answers after ${ms(started).toFixed(0)} ms (threads started, mapping compiled)`);
  try {
    const inline = compileTransform({ jsonata: MAPPING });
    for (let i = 0; i < 200; i++) await inline.run(BODY).catch(() => undefined); // warm-up, both sides
    for (let i = 0; i < 200; i++) await pool.run({ jsonata: MAPPING }, BODY).catch(() => undefined);

    const inlineMs: number[] = [];
    const pooledMs: number[] = [];
    // The 100 ms bound is on the clock: on a saturated machine a plain mapping can exceed it.
    let overBound = 0;
    const timed = async (samples: number[], run: () => Promise<string>) => {
      const t = performance.now();
      await run().catch(() => overBound++);
      samples.push(ms(t));
    };
    for (let i = 0; i < runs; i++) {
      await timed(inlineMs, () => inline.run(BODY));
      await timed(pooledMs, () => pool.run({ jsonata: MAPPING }, BODY));
    }
    if (overBound > 0) console.log(`(${overBound} evaluations of ${2 * runs} exceeded the 100 ms bound: the machine is saturated)`);
    line('one at a time, in the calling thread', inlineMs);
    line('one at a time, through the pool', pooledMs);
    const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    console.log(`thread hop per evaluation (difference of the medians): ${(median(pooledMs) - median(inlineMs)).toFixed(3)} ms`);

    const burst = 16;
    let t = performance.now();
    for (let i = 0; i < runs; i += burst) {
      await Promise.all(Array.from({ length: burst }, () => pool.run({ jsonata: MAPPING }, BODY).catch(() => undefined)));
    }
    console.log(`${burst} in flight through the pool: ${(runs / (ms(t) / 1000)).toFixed(0)} evaluations/s`);
    t = performance.now();
    for (let i = 0; i < runs; i++) await inline.run(BODY).catch(() => undefined);
    console.log(`one at a time in the calling thread: ${(runs / (ms(t) / 1000)).toFixed(0)} evaluations/s`);

  } finally {
    await pool.close();
  }
  // On a fresh one-thread pool each time: what a thread's start costs (what replacing a stopped
  // one costs), then how long a runaway takes to fail on that warm thread.
  const threadStart: number[] = [];
  const failAfter: number[] = [];
  for (let i = 0; i < kills; i++) {
    const single = createTransformPool({ threads: 1 });
    try {
      let t = performance.now();
      await single.run({ jsonata: MAPPING }, BODY).catch(() => undefined);
      threadStart.push(ms(t));
      t = performance.now();
      await single.run({ jsonata: RUNAWAY }, BODY).catch(() => undefined);
      failAfter.push(ms(t));
    } finally {
      await single.close();
    }
  }
  line('a new thread answers its first transform after', threadStart);
  line('a runaway transform fails after', failAfter);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
