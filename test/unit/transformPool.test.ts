import assert from 'node:assert/strict';
import { TRANSFORM_HARD_LIMIT_MS } from '../../src/domain/transform';
import { hasCode } from '../../src/errors';
import { createTransformPool, type TransformRunner } from '../../src/transforms/pool';

/**
 * Transform threads (src/transforms/pool.ts): the hard limit that holds even for a step that never
 * returns. This file runs under mocha's `--import tsx`, so its first test is also the proof that a
 * thread's entry loads TypeScript that way (test/integration/service.test.ts proves `tsx` itself).
 */

const body = { id: 'evt_1', type: 'call_completed', timestamp: '2026-11-29T10:00:05Z', data: { callId: 'call-42', text: `${'a'.repeat(40)}!` } };

/** One jsonata step that backtracks for about 2^40 steps: hours, without the hard limit. */
const BACKTRACKING = '{ "m": $contains(data.text, /^(a+)+$/) }';
/** One builtin step over ten million numbers: about a second of one core. */
const HUGE_STEP = '{ "n": $sum([1..10000000]) }';

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(hasCode(err, 'transform_failed'), `expected transform_failed, got ${String(err)}`);
  return err;
}

describe('transform threads', function () {
  this.timeout(30_000);
  let pool: TransformRunner;
  before(() => {
    pool = createTransformPool({ threads: 2 });
  });
  after(() => pool.close());

  it('evaluates a mapping in a thread', async () => {
    assert.deepEqual(JSON.parse(await pool.run({ jsonata: '{ "Subject": "Call " & data.callId }' }, body)), { Subject: 'Call call-42' });
  });

  for (const [name, expression] of [['a backtracking regex', BACKTRACKING], ['a huge builtin step', HUGE_STEP]]) {
    it(`stops ${name} by terminating its thread; the next transform runs on a fresh one`, async () => {
      const started = performance.now();
      const err = await failure(pool.run({ jsonata: expression }, body));
      console.log(`      ${name}: transform_failed after ${Math.round(performance.now() - started)} ms (hard limit ${TRANSFORM_HARD_LIMIT_MS} ms)`);
      assert.match(err.message, new RegExp(`longer than ${TRANSFORM_HARD_LIMIT_MS} ms; its thread was stopped`));
      assert.deepEqual(JSON.parse(await pool.run({ jsonata: '[data.callId]' }, body)), ['call-42']);
    });
  }

  it('keeps evaluating on the other thread while one runs away', async () => {
    // Both threads up first (one may still be starting, replacing a stopped one).
    await Promise.all([0, 1].map(() => pool.run({ jsonata: '[1]' }, body)));
    let runawaySettled = false;
    const runaway = failure(pool.run({ jsonata: BACKTRACKING }, body)).finally(() => (runawaySettled = true));
    const plain = await pool.run({ jsonata: '{ "c": data.callId }' }, body);
    assert.deepEqual(JSON.parse(plain), { c: 'call-42' });
    assert.equal(runawaySettled, false, 'the plain transform answered while the runaway one was still running');
    await runaway;
  });

  it("keeps jsonata's own check between steps, and its messages", async () => {
    // Nine million small steps: jsonata's clock stops it, before the thread has to be.
    const steps = '{ "x": $count([1..3000].([1..3000].($ * 2))) }';
    assert.match((await failure(pool.run({ jsonata: steps }, body))).message, /longer than 100 ms$/);
    assert.match((await failure(pool.run({ jsonata: '$error("no lead")' }, body))).message, /no lead/);
    assert.match((await failure(pool.run({ jsonata: 'data.nothing' }, body))).message, /not nothing/);
  });

  it('fails runs after close as the service stopping, not as the transform failing', async () => {
    const closing = createTransformPool({ threads: 1 });
    await closing.close();
    const err = await closing.run({ jsonata: '[1]' }, body).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Error && !hasCode(err, 'transform_failed'), String(err));
  });
});
