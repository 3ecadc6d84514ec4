import assert from 'node:assert/strict';
import { attemptOutcome } from '../../src/metrics/attempts';
import { createMetrics } from '../../src/metrics/registry';
import { cachedCounts, type GaugedStatus } from '../../src/metrics/visibilityCounts';
import { DEFAULT_TENANT_ID, isFinishedOutcome, tenantOf } from '../../workflows/contract';

/** The rules behind the metrics' values; the integration test (test/integration/metrics.test.ts) scrapes real traffic. */

describe('metrics', () => {
  describe('cachedCounts', () => {
    function counting(answers: Array<number | Error>) {
      const asked: GaugedStatus[] = [];
      const count = async (status: GaugedStatus) => {
        asked.push(status);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer ?? -1;
      };
      return { asked, count };
    }

    it('asks visibility once per status per period, and again after it', async () => {
      let now = 0;
      const { asked, count } = counting([3, 7, 4]);
      const cached = cachedCounts(count, 15_000, () => now);
      assert.equal(await cached('retrying'), 3);
      now = 14_999;
      assert.equal(await cached('retrying'), 3);
      assert.equal(await cached('held'), 7, 'each status has its own entry');
      now = 15_000;
      assert.equal(await cached('retrying'), 4);
      assert.deepEqual(asked, ['retrying', 'held', 'retrying']);
    });

    it('shares a query in flight between scrapes', async () => {
      const { asked, count } = counting([5]);
      const cached = cachedCounts(count, 15_000, () => 0);
      assert.deepEqual(await Promise.all([cached('held'), cached('held')]), [5, 5]);
      assert.deepEqual(asked, ['held']);
    });

    it('does not keep a failure: the next scrape asks again', async () => {
      const { asked, count } = counting([new Error('temporal_unavailable'), 2]);
      const cached = cachedCounts(count, 15_000, () => 0);
      await assert.rejects(cached('throttled'), /temporal_unavailable/);
      assert.equal(await cached('throttled'), 2);
      assert.equal(asked.length, 2);
    });

    it('asks on every scrape with a period of 0', async () => {
      const { asked, count } = counting([1, 2]);
      const cached = cachedCounts(count, 0, () => 0);
      assert.equal(await cached('awaiting_review'), 1);
      assert.equal(await cached('awaiting_review'), 2);
      assert.equal(asked.length, 2);
    });
  });

  it('classes attempts: success, failed (retried), rejected (not), or why no answer came', () => {
    assert.equal(attemptOutcome({}, 'delivered'), 'success');
    assert.equal(attemptOutcome({ failure: 'http' }, 'retry'), 'failed');
    assert.equal(attemptOutcome({ failure: 'http' }, 'reject'), 'rejected');
    assert.equal(attemptOutcome({ failure: 'http' }, 'gone'), 'rejected');
    for (const failure of ['timeout', 'connect', 'dns', 'tls', 'blocked'] as const) assert.equal(attemptOutcome({ failure }, 'retry'), failure);
  });

  it('labels an event with its tenant, and one that names none with the default tenant', () => {
    assert.equal(tenantOf(undefined), DEFAULT_TENANT_ID);
    assert.equal(tenantOf('acme'), 'acme');
  });

  it('counts only the statuses in which a delivery has finished its course', () => {
    for (const status of ['delivered', 'delivered_fallback', 'awaiting_review', 'discarded', 'expired', 'coalesced'] as const) assert.ok(isFinishedOutcome(status), status);
    for (const status of ['pending', 'retrying', 'held', 'blocked', 'throttled'] as const) assert.ok(!isFinishedOutcome(status), status);
  });

  it('leaves a gauge out of the scrape when its count fails, and keeps the others', async () => {
    const metrics = createMetrics({
      deliveriesNow: async (status) => {
        if (status === 'held') throw new Error('temporal_unavailable');
        return status === 'awaiting_review' ? 2 : 0;
      },
    });
    const text = await metrics.registry.metrics();
    assert.match(text, /^callback_events_deliveries_current\{status="awaiting_review"\} 2$/m);
    assert.match(text, /^callback_events_deliveries_current\{status="retrying"\} 0$/m);
    assert.doesNotMatch(text, /status="held"/);
  });
});
