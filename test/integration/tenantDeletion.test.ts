import assert from 'node:assert/strict';
import { unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/stack';
import { STORE_KINDS } from '../helpers/storeKinds';
import { SERVICE_ADMIN, startTenantStack, type TenantStack } from '../helpers/tenantStack';
import { workflowIdForEvent, type EventSnapshot } from '../../workflows/contract';

/**
 * Deleting a tenant ends its open deliveries at once, whatever they wait for: a delivery between
 * two attempts against a dead receiver, with a long backoff, ends as discarded "tenant deleted"
 * within seconds of the DELETE, its workflow closes, and no later attempt reaches the receiver;
 * its endpoints' coordinating workflows (a call sequencer here) end too.
 * Real HTTP, a real Temporal server, each store.
 */

const BACKOFF_MS = 12_000;

const completed = (callId: string, tag: string) => ({
  type: 'call_completed',
  occurredAt: '2026-11-29T10:00:05Z',
  data: {
    callId,
    startedAt: '2026-11-29T09:58:00Z',
    endedAt: '2026-11-29T10:00:00Z',
    durationMs: 120000,
    endedReason: 'caller_hangup',
    disposition: 'qualified',
    metadata: { test: tag },
  },
});

for (const kind of STORE_KINDS) {
  describe(`deleting a tenant (${kind})`, function () {
    this.timeout(120_000);
    let t: TenantStack;
    let dead: Receiver;
    let ok: Receiver;

    before(async function () {
      this.timeout(180_000);
      t = await startTenantStack(kind);
      dead = await startReceiver(() => 503);
      ok = await startReceiver(() => 200);
    });
    after(async () => {
      await ok?.close();
      await dead?.close();
      await t?.close();
    });

    it('discards a delivery waiting out a long retry backoff at once with "tenant deleted"; no further attempt goes out', async () => {
      const gone = await t.tenant('gone');
      const tag = unique('retrying');
      const endpoint = await t.api(gone.admin, 'POST', '/v1/endpoints', {
        url: dead.url,
        filter: { 'data.metadata.test': tag },
        retry: { maxAttempts: 5, initialIntervalMs: BACKOFF_MS, backoffCoefficient: 1, maxIntervalMs: BACKOFF_MS, attemptTimeoutMs: 2_000 },
      });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      const eventId = unique('evt');
      assert.equal((await t.api(gone.ingest, 'POST', '/v1/events', { id: eventId, ...completed('call-r', tag) })).status, 202);
      const deliveryId = `${eventId}~${endpoint.body.id}`;
      // An endpoint ordered per call: its call's sequencer, a workflow of the tenant's, stays running.
      const orderedTag = unique('ordered');
      const ordered = await t.api(gone.admin, 'POST', '/v1/endpoints', { url: ok.url, ordering: 'per_call', filter: { 'data.metadata.test': orderedTag } });
      assert.equal(ordered.status, 201, JSON.stringify(ordered.body));
      assert.equal((await t.api(gone.ingest, 'POST', '/v1/events', completed('call-o', orderedTag))).status, 202);
      await ok.waitFor(1, 30_000);
      const running = async () => (await t.stack.client.workflow.count(`CallbackTenant = '${gone.id}' AND ExecutionStatus = 'Running'`)).count;
      await eventually(async () => (await t.api(gone.admin, 'GET', `/v1/deliveries/${deliveryId}`)).body?.status === 'retrying', 30_000, 'retrying');
      assert.ok((await running()) >= 2, 'the retrying event and the call sequencer run');
      const firstAttemptAt = dead.requests[0]?.at;
      assert.equal(dead.requests.length, 1, 'one attempt made, the next one waits out the backoff');

      const deletedAt = Date.now();
      const deleted = await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${gone.id}`);
      assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
      const handle = t.stack.client.workflow.getHandle(workflowIdForEvent(eventId, gone.id));
      // Well before the backoff is over: the delivery did not wait for its next attempt to find out.
      const closedWithin = await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? Date.now() - deletedAt : undefined), 10_000, 'the event workflow closed');
      assert.ok(closedWithin < BACKOFF_MS - 2_000, `closed ${closedWithin} ms after the DELETE`);
      const snapshot = (await handle.result()) as EventSnapshot;
      assert.deepEqual(
        snapshot.deliveries.map((d) => ({ id: d.id, status: d.status, reason: d.reason, attempts: d.attempts })),
        [{ id: deliveryId, status: 'discarded', reason: 'tenant deleted', attempts: 1 }],
      );
      const job = await eventually(async () => {
        const res = await t.api(SERVICE_ADMIN, 'GET', `/v1/jobs/${deleted.body.jobId}`);
        return res.body?.status === 'completed' ? res.body : undefined;
      }, 30_000, 'the deletion job');
      assert.deepEqual({ total: job.total, done: job.done, failed: job.failed }, { total: 1, done: 1, failed: 0 });
      assert.equal(await t.store.getEndpoint(endpoint.body.id), undefined);
      // Nothing of the tenant's runs on: the event ended, and the sequencer with it.
      await eventually(async () => (await running()) === 0, 10_000, 'no running workflow of the tenant');

      // Past the moment the second attempt was due, and some: still the one attempt.
      await new Promise((r) => setTimeout(r, Math.max(0, firstAttemptAt + BACKOFF_MS + 3_000 - Date.now())));
      assert.equal(dead.requests.length, 1, 'no attempt after the tenant was deleted');
    });
  });
}
