import assert from 'node:assert/strict';
import { forTenant } from '../../src/store/tenantStore';
import { unique } from '../helpers/kit';
import { startOwnWorker } from '../helpers/ownWorker';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { sharedStack } from '../helpers/stack';

/**
 * Fairness between tenants on one task queue: a tenant's backlog does not hold back another
 * tenant's event. Each tenant's tasks carry its fairness key, which the server dispatches in turn
 * with the others', where without it every task waits its place in one line. A deliberately small
 * worker of its own makes the backlog build, as in the priority lane's test (flow.test.ts).
 */

describe('fairness between tenants', function () {
  const BACKLOG = 300;
  this.timeout(300_000);
  const receivers: Receiver[] = [];
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('delivers a quiet tenant’s event ahead of most of a flooding tenant’s backlog', async () => {
    const stack = await sharedStack();
    // A deliberately small worker of its own, so the flood queues up in front of it.
    const own = await startOwnWorker(stack, { prefix: 'fairness', maxConcurrent: 2 });
    const { services } = own;
    try {
      const flood = unique('flood');
      const quiet = unique('quiet');
      const floodHook = await startReceiver(() => ({ status: 200, delayMs: 20 }));
      const quietHook = await startReceiver(() => 200);
      receivers.push(floodHook, quietHook);
      for (const [tenant, hook] of [[flood, floodHook], [quiet, quietHook]] as const) {
        await stack.store.createTenant({ id: tenant, settings: { name: tenant } });
        await forTenant(stack.store, tenant).createEndpoint({ id: unique('ep'), secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', settings: { url: hook.url } });
      }
      const event = (callId: string) => ({
        id: unique('evt'),
        type: 'call_completed',
        occurredAt: new Date().toISOString(),
        data: { callId, startedAt: '2026-11-29T09:58:00Z', endedAt: '2026-11-29T10:00:00Z', durationMs: 1000, endedReason: 'caller_hangup' },
      });

      const floodEvents = services.forTenant(flood).events;
      for (let i = 0; i < BACKLOG; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, BACKLOG - i) }, (_, j) => floodEvents.start({ event: event(`call-flood-${i + j}`) })));
      }
      const deliveredBefore = floodHook.requests.length;
      await services.forTenant(quiet).events.start({ event: event('call-quiet') });
      const [arrival] = await quietHook.waitFor(1, 240_000);
      const floodFirst = floodHook.requests.filter((r) => r.at <= arrival.at).length;
      console.log(`      fairness: the quiet tenant's event came after ${floodFirst} of ${BACKLOG} flood deliveries (${deliveredBefore} delivered before it was sent)`);
      // In one line it would come after all of them; by turns, after a small share of what was left.
      assert.ok(floodFirst < deliveredBefore + (BACKLOG - deliveredBefore) / 2, `${floodFirst} flood deliveries went first`);
    } finally {
      await own.close();
    }
  });
});
