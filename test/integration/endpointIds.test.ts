import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { plainCompletedCall, unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/stack';
import { STORE_KINDS } from '../helpers/storeKinds';
import { startTenantStack, type TenantStack } from '../helpers/tenantStack';

/**
 * Two tenants choosing the same endpoint id, over the real API, a real Temporal server and real
 * receivers, on each store: both succeed, each with its own endpoint in its own namespace, each
 * sees and receives only its own, and nothing one tenant's key sends tells it about the other's.
 */

const completed = (tag: string) => plainCompletedCall(unique('call'), tag);

for (const kind of STORE_KINDS) {
  describe(`endpoint ids per tenant (${kind})`, function () {
    this.timeout(120_000);
    let t: TenantStack;
    const receivers: Receiver[] = [];

    before(async function () {
      this.timeout(180_000);
      t = await startTenantStack(kind);
    });
    after(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await t?.close();
    });

    it('gives two tenants choosing the same id an endpoint each; each sees and receives only its own', async () => {
      const tag = unique('same-id');
      const clinic = await t.tenant('clinic');
      const bank = await t.tenant('bank');
      const hooks = { clinic: await startReceiver(), bank: await startReceiver() };
      receivers.push(hooks.clinic, hooks.bank);
      const create = (key: string, url: string) => t.api(key, 'POST', '/v1/endpoints', { id: 'crm', url, filter: { 'data.metadata.test': tag } });

      const mine = await create(clinic.admin, hooks.clinic.url);
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      assert.equal(mine.body.id, `${clinic.id}.crm`);
      // The same id for the bank: not a 409, nothing said about the clinic's.
      const theirs = await create(bank.admin, hooks.bank.url);
      assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
      assert.equal(theirs.body.id, `${bank.id}.crm`);
      // A conflict names the caller's own endpoint only; an id in another namespace cannot be chosen.
      const again = await create(bank.admin, hooks.bank.url);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      assert.ok(!JSON.stringify(again.body).includes(clinic.id), JSON.stringify(again.body));
      const forged = await t.api(bank.admin, 'POST', '/v1/endpoints', { id: `${clinic.id}.crm`, url: hooks.bank.url });
      assert.equal(forged.status, 400);

      for (const [tenant, own, other] of [[clinic, mine.body.id, theirs.body.id], [bank, theirs.body.id, mine.body.id]] as const) {
        const listed = await t.api(tenant.admin, 'GET', '/v1/endpoints');
        assert.deepEqual(listed.body.data.map((e: { id: string }) => e.id), [own]);
        assert.equal((await t.api(tenant.admin, 'GET', `/v1/endpoints/${own}`)).status, 200);
        assert.equal((await t.api(tenant.admin, 'GET', `/v1/endpoints/${other}`)).status, 404);
      }

      const eventId = unique('evt');
      for (const tenant of [clinic, bank]) {
        const posted = await t.api(tenant.ingest, 'POST', '/v1/events', { id: eventId, ...completed(tag) });
        assert.equal(posted.status, 202, JSON.stringify(posted.body));
      }
      for (const [tenant, hook, endpoint] of [[clinic, hooks.clinic, mine.body], [bank, hooks.bank, theirs.body]] as const) {
        const [request] = await hook.waitFor(1);
        new Webhook(endpoint.secret).verify(request.body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        });
        const event = await eventually(async () => {
          const res = await t.api(tenant.admin, 'GET', `/v1/events/${eventId}`);
          return res.body?.status === 'delivered' ? res.body : undefined;
        }, 30_000, `the ${tenant.id} event delivered`);
        assert.deepEqual(event.deliveries.map((d: { endpointId: string }) => d.endpointId), [endpoint.id]);
        const delivery = await t.api(tenant.admin, 'GET', `/v1/deliveries/${eventId}~${endpoint.id}`);
        assert.equal(delivery.status, 200, JSON.stringify(delivery.body));
      }
      assert.equal(hooks.clinic.requests.length, 1);
      assert.equal(hooks.bank.requests.length, 1);
    });
  });
}
