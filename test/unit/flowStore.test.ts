import assert from 'node:assert/strict';
import { flowLimitsOf, flowSignalOf } from '../../src/domain/flow';
import { isUrgent } from '../../workflows/contract';
import { devServerArgs } from '../../src/temporal/devServer';
import { WAITER_SLACK_MS } from '../../src/store/flowControl';
import type { FlowGrant, FlowLease, FlowLimits, Store } from '../../src/store/store';
import { STORE_KINDS, storePlace, type StorePlace } from '../helpers/storeKinds';

/**
 * Token bucket and AIMD arithmetic on each real store (SQLite, PostgreSQL), with the clock passed
 * in; and that two stores on one database (two processes, two hosts) share the limits.
 */

const MASTER_KEY = Buffer.alloc(32, 3);
const T0 = 1_800_000_000_000;

function granted(g: FlowGrant): FlowLease {
  assert.ok(g.granted, `expected a slot, got a wait of ${g.granted ? 0 : g.waitMs} ms (${g.granted ? '' : g.reason})`);
  return g.lease;
}

function refused(g: FlowGrant): { waitMs: number; reason: string } {
  assert.ok(!g.granted, 'expected no slot');
  return g;
}

for (const kind of STORE_KINDS) {
  describe(`flow control store (${kind})`, () => {
    let place: StorePlace;
    let store: Store;
    let other: Store | undefined;

    beforeEach(async () => {
      place = await storePlace(kind);
      store = await place.open({ masterKeys: [MASTER_KEY] });
    });
    afterEach(async () => {
      await store.close();
      await other?.close();
      other = undefined;
      await place.dispose();
    });

    const rate5: FlowLimits = { rate: { perSecond: 5, burst: 2 }, maxConcurrency: 100, leaseMs: 60_000 };

    describe('token bucket', () => {
      it('lets a burst through, then one token per 1/perSecond, and says how long to wait', async () => {
        granted(await store.acquireFlowSlot('ep', 'd1', rate5, T0));
        granted(await store.acquireFlowSlot('ep', 'd2', rate5, T0));
        const third = refused(await store.acquireFlowSlot('ep', 'd3', rate5, T0));
        assert.equal(third.reason, 'rate');
        assert.equal(third.waitMs, 200, 'an empty bucket of 5/s has its next token in 200 ms');
        // Half a token later: still none, 100 ms to go.
        assert.equal(refused(await store.acquireFlowSlot('ep', 'd3', rate5, T0 + 100)).waitMs, 100);
        granted(await store.acquireFlowSlot('ep', 'd3', rate5, T0 + 200));
        refused(await store.acquireFlowSlot('ep', 'd4', rate5, T0 + 200));
      });

      it('never holds more than the burst, however long it was idle', async () => {
        granted(await store.acquireFlowSlot('ep', 'a', rate5, T0));
        const later = T0 + 3_600_000;
        granted(await store.acquireFlowSlot('ep', 'b', rate5, later));
        granted(await store.acquireFlowSlot('ep', 'c', rate5, later));
        refused(await store.acquireFlowSlot('ep', 'd', rate5, later));
      });

      it('grants at most burst + perSecond × T over a window of T, acquiring as fast as it may', async () => {
        const limits: FlowLimits = { rate: { perSecond: 10, burst: 3 }, maxConcurrency: 1000, leaseMs: 60_000 };
        const grants: number[] = [];
        for (let t = T0; t <= T0 + 2_000; t += 7) {
          const g = await store.acquireFlowSlot('ep', `d${t}`, limits, t);
          if (g.granted) grants.push(t);
        }
        // 3 at once, then 10 a second for 2 s.
        assert.ok(grants.length >= 22 && grants.length <= 23, `granted ${grants.length}`);
        for (const start of grants) {
          const inWindow = grants.filter((t) => t >= start && t < start + 1000).length;
          assert.ok(inWindow <= 3 + 10, `${inWindow} grants in the second from ${start - T0} ms`);
        }
      });

      it('queues newcomers one interval apart behind those already waiting', async () => {
        granted(await store.acquireFlowSlot('ep', 'd1', rate5, T0));
        granted(await store.acquireFlowSlot('ep', 'd2', rate5, T0));
        const waits = [];
        for (const id of ['w1', 'w2', 'w3', 'w4']) waits.push(refused(await store.acquireFlowSlot('ep', id, rate5, T0)).waitMs);
        assert.deepEqual(waits, [200, 400, 600, 800]);
        assert.equal((await store.flowState('ep', 100, T0)).queued, 4);
        // A waiter whose turn came but lost the token goes first again, not to the back.
        granted(await store.acquireFlowSlot('ep', 'intruder', rate5, T0 + 200));
        assert.equal(refused(await store.acquireFlowSlot('ep', 'w1', rate5, T0 + 200)).waitMs, 200);
        // Acquiring removes the waiter; a waiter that never came back stops counting after its slack.
        granted(await store.acquireFlowSlot('ep', 'w1', rate5, T0 + 400));
        assert.equal((await store.flowState('ep', 100, T0 + 400)).queued, 3);
        assert.equal((await store.flowState('ep', 100, T0 + 800 + WAITER_SLACK_MS + 1)).queued, 0);
      });

      it('counts no time twice when an acquire that read its clock earlier comes after a later one (processes racing for the lock)', async () => {
        granted(await store.acquireFlowSlot('ep', 'a', rate5, T0));
        granted(await store.acquireFlowSlot('ep', 'b', rate5, T0));
        // 200 ms on: one token, taken by the process that got the lock first.
        granted(await store.acquireFlowSlot('ep', 'c', rate5, T0 + 200));
        // Another read its clock at T0 + 100 and waited for the lock: nothing is left for it, and
        // it must not move the bucket's clock back to T0 + 100 …
        refused(await store.acquireFlowSlot('ep', 'd', rate5, T0 + 100));
        // … else T0 + 100 .. T0 + 200 would count again, and its next try would get a token 100 ms early.
        assert.equal(refused(await store.acquireFlowSlot('ep', 'd', rate5, T0 + 300)).waitMs, 100);
      });

      it('is one bucket for every connection to the store (worker processes)', async () => {
        other = await place.open({ masterKeys: [MASTER_KEY] });
        granted(await store.acquireFlowSlot('ep', 'a', rate5, T0));
        granted(await other.acquireFlowSlot('ep', 'b', rate5, T0));
        refused(await store.acquireFlowSlot('ep', 'c', rate5, T0));
        refused(await other.acquireFlowSlot('ep', 'd', rate5, T0));
        // Endpoints have buckets of their own.
        granted(await other.acquireFlowSlot('ep-2', 'e', rate5, T0));
      });
    });

    describe('concurrency and AIMD', () => {
      const cap = (maxConcurrency: number): FlowLimits => ({ maxConcurrency, leaseMs: 10_000 });

      it('holds at most maxConcurrency leases at once; a release frees one', async () => {
        const leases = [];
        for (let i = 0; i < 3; i++) leases.push(granted(await store.acquireFlowSlot('ep', `d${i}`, cap(3), T0)));
        const wait = refused(await store.acquireFlowSlot('ep', 'd3', cap(3), T0));
        assert.equal(wait.reason, 'concurrency');
        assert.ok(wait.waitMs >= 20 && wait.waitMs <= 5_000, `wait ${wait.waitMs}`);
        assert.deepEqual(await store.flowState('ep', 3, T0), { concurrency: 3, inFlight: 3, queued: 1 });
        await store.releaseFlowSlot('ep', leases[0], 'neutral', 3, T0 + 50);
        granted(await store.acquireFlowSlot('ep', 'd3', cap(3), T0 + 60));
      });

      it('frees the leases of a crashed worker when they expire', async () => {
        granted(await store.acquireFlowSlot('ep', 'a', cap(1), T0));
        refused(await store.acquireFlowSlot('ep', 'b', cap(1), T0 + 9_999));
        granted(await store.acquireFlowSlot('ep', 'b', cap(1), T0 + 10_000));
      });

      it('halves on congestion once per round of requests, and adds one per success up to the maximum', async () => {
        const max = 20;
        const first = [];
        for (let i = 0; i < 5; i++) first.push(granted(await store.acquireFlowSlot('ep', `a${i}`, cap(max), T0)));
        await store.releaseFlowSlot('ep', first[0], 'congested', max, T0 + 10);
        assert.equal((await store.flowState('ep', max, T0 + 10)).concurrency, 10);
        // Sent before that decrease: the same congestion, not a new one.
        await store.releaseFlowSlot('ep', first[1], 'congested', max, T0 + 11);
        assert.equal((await store.flowState('ep', max, T0 + 11)).concurrency, 10);
        for (const lease of first.slice(2)) await store.releaseFlowSlot('ep', lease, 'neutral', max, T0 + 20);
        // Sent after it: halves again, down to 1 at the least.
        for (const [i, expected] of [5, 2, 1, 1].entries()) {
          const at = T0 + 100 * (i + 1);
          const lease = granted(await store.acquireFlowSlot('ep', 'b', cap(max), at));
          await store.releaseFlowSlot('ep', lease, 'congested', max, at + 1);
          assert.equal((await store.flowState('ep', max, at + 1)).concurrency, expected);
        }

        // At an effective concurrency of 1, a second request waits although maxConcurrency is 20.
        const one = granted(await store.acquireFlowSlot('ep', 'c1', cap(max), T0 + 2_000));
        assert.equal(refused(await store.acquireFlowSlot('ep', 'c2', cap(max), T0 + 2_000)).reason, 'concurrency');
        await store.releaseFlowSlot('ep', one, 'success', max, T0 + 2_010);
        assert.equal((await store.flowState('ep', max, T0 + 2_010)).concurrency, 2);

        // Additive increase: one per success, never past the maximum.
        for (let i = 0; i < 30; i++) {
          const lease = granted(await store.acquireFlowSlot('ep', `s${i}`, cap(max), T0 + 3_000 + i));
          await store.releaseFlowSlot('ep', lease, 'success', max, T0 + 3_000 + i);
        }
        assert.equal((await store.flowState('ep', max, T0 + 4_000)).concurrency, 20);
        // A lower maximum caps the effective value at once.
        assert.equal((await store.flowState('ep', 4, T0 + 4_000)).concurrency, 4);
      });

      it('forgets an endpoint when it is deleted: one made again with its id starts afresh', async () => {
        await store.createEndpoint({ id: 'ep', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', settings: { url: 'https://hooks.example.com/a' } });
        const lease = granted(await store.acquireFlowSlot('ep', 'a', cap(8), T0));
        await store.releaseFlowSlot('ep', lease, 'congested', 8, T0 + 1);
        granted(await store.acquireFlowSlot('ep', 'b', cap(8), T0 + 2));
        assert.deepEqual(await store.flowState('ep', 8, T0 + 3), { concurrency: 4, inFlight: 1, queued: 0 });
        assert.equal(await store.deleteEndpoint('ep'), true);
        assert.deepEqual(await store.flowState('ep', 8, T0 + 4), { concurrency: 8, inFlight: 0, queued: 0 });
      });

      it('needs a token and a concurrency slot together: a refused acquire takes neither', async () => {
        const limits: FlowLimits = { rate: { perSecond: 1, burst: 2 }, maxConcurrency: 1, leaseMs: 10_000 };
        const lease = granted(await store.acquireFlowSlot('ep', 'a', limits, T0));
        assert.equal(refused(await store.acquireFlowSlot('ep', 'b', limits, T0)).reason, 'concurrency');
        await store.releaseFlowSlot('ep', lease, 'neutral', 1, T0 + 1);
        // The refused try took no token: one of the burst of 2 is still there.
        granted(await store.acquireFlowSlot('ep', 'b', limits, T0 + 2));
      });
    });

    describe('across hosts: two stores on one database', () => {
      it('shares one rate limit: of 40 acquires racing from both, exactly the burst is granted', async () => {
        other = await place.open({ masterKeys: [MASTER_KEY] });
        // A bucket that refills once in 1,000 s: only the burst can be granted at T0.
        const limits: FlowLimits = { rate: { perSecond: 0.001, burst: 5 }, maxConcurrency: 1000, leaseMs: 60_000 };
        const grants = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? store : other!).acquireFlowSlot('ep', `d${i}`, limits, T0)),
        );
        assert.equal(grants.filter((g) => g.granted).length, 5);
        for (const g of grants) if (!g.granted) assert.equal(g.reason, 'rate');
        assert.deepEqual(await other.flowState('ep', 1000, T0), await store.flowState('ep', 1000, T0));
        assert.equal((await store.flowState('ep', 1000, T0)).queued, 35);
      });

      it('shares one concurrency cap: racing acquires hold at most maxConcurrency, a release on one host frees a slot for the other', async () => {
        other = await place.open({ masterKeys: [MASTER_KEY] });
        const limits: FlowLimits = { maxConcurrency: 3, leaseMs: 60_000 };
        const grants = await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? store : other!).acquireFlowSlot('ep', `d${i}`, limits, T0)),
        );
        const leases = grants.filter((g) => g.granted).map(granted);
        assert.equal(leases.length, 3);
        assert.deepEqual(await other.flowState('ep', 3, T0), { concurrency: 3, inFlight: 3, queued: 27 });
        refused(await store.acquireFlowSlot('ep', 'd1', limits, T0 + 1));
        await other.releaseFlowSlot('ep', leases[0], 'neutral', 3, T0 + 2);
        granted(await store.acquireFlowSlot('ep', 'd1', limits, T0 + 3));
        refused(await other.acquireFlowSlot('ep', 'd2', limits, T0 + 3));
      });
    });
  });
}

describe('flow control rules', () => {
  describe('the priority lane', () => {
    it('takes urgent and high escalations only', () => {
      const event = (type: string, priority?: string) => ({ id: 'e', type, occurredAt: '2026-11-29T10:00:00Z', data: { callId: 'c', priority } });
      assert.equal(isUrgent(event('escalation_requested', 'urgent')), true);
      assert.equal(isUrgent(event('escalation_requested', 'high')), true);
      assert.equal(isUrgent(event('escalation_requested', 'normal')), false);
      assert.equal(isUrgent(event('escalation_requested', 'low')), false);
      assert.equal(isUrgent(event('case_created', 'urgent')), false);
    });

    it('starts every dev server with the matcher that task priority needs', () => {
      const base = { cliPath: 'temporal', dataDir: '/tmp/x', port: 7233, uiPort: 8233, namespace: 'default' };
      const args = devServerArgs(base);
      assert.ok(args.join(' ').includes('--dynamic-config-value matching.useNewMatcher=true'), args.join(' '));
      // Fairness between tenants (docs/tenants.md) needs it on too.
      assert.ok(args.join(' ').includes('--dynamic-config-value matching.enableFairness=true'), args.join(' '));
      // Other values still go through, and may override it.
      const off = devServerArgs({ ...base, dynamicConfig: { 'matching.useNewMatcher': false, 'limit.x': 3 } }).join(' ');
      assert.ok(off.includes('matching.useNewMatcher=false') && !off.includes('matching.useNewMatcher=true') && off.includes('limit.x=3'));
    });
  });

  describe('from endpoint settings and attempt outcomes', () => {
    it('derives the limits: burst defaults to one second of rate, concurrency to 20, the lease outlives the attempt', () => {
      assert.deepEqual(flowLimitsOf({ rateLimit: { perSecond: 5 } }), { rate: { perSecond: 5, burst: 5 }, maxConcurrency: 20, leaseMs: 25_000 });
      assert.deepEqual(flowLimitsOf({ rateLimit: { perSecond: 0.5, burst: 3 }, maxConcurrency: 4, retry: { attemptTimeoutMs: 2_000 } }), {
        rate: { perSecond: 0.5, burst: 3 },
        maxConcurrency: 4,
        leaseMs: 12_000,
      });
      assert.equal(flowLimitsOf({ rateLimit: { perSecond: 0.2 } }).rate?.burst, 1);
      assert.equal(flowLimitsOf({}).rate, undefined);
    });

    it('reads 429, 503 and slow answers as congestion, a timely 2xx as success', () => {
      const timeout = 2_000;
      assert.equal(flowSignalOf({ ok: false, statusCode: 429, durationMs: 5 }, timeout), 'congested');
      assert.equal(flowSignalOf({ ok: false, statusCode: 503, durationMs: 5 }, timeout), 'congested');
      assert.equal(flowSignalOf({ ok: false, failure: 'timeout', durationMs: 2_000 }, timeout), 'congested');
      assert.equal(flowSignalOf({ ok: true, statusCode: 200, durationMs: 1_001 }, timeout), 'congested');
      assert.equal(flowSignalOf({ ok: true, statusCode: 200, durationMs: 999 }, timeout), 'success');
      assert.equal(flowSignalOf({ ok: false, statusCode: 500, durationMs: 5 }, timeout), 'neutral');
      assert.equal(flowSignalOf({ ok: false, failure: 'connect', durationMs: 1 }, timeout), 'neutral');
    });
  });
});
