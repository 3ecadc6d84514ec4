import assert from 'node:assert/strict';
import { createMatching } from '../../activities/matching';
import { endpointCreateSchema } from '../../src/domain/endpoint';
import { endpointIdSchema, parseDeliveryId, tenantEndpointId } from '../../src/domain/ids';
import { hasCode } from '../../src/errors';
import { forTenant } from '../../src/store/tenantStore';
import { describeEachStore } from '../helpers/storeKinds';

/**
 * Endpoint ids are namespaced per tenant: two tenants choosing the same id each get an endpoint of
 * their own, and a conflict only ever names the caller's own endpoint.
 */

const MASTER_KEY = Buffer.alloc(32, 8);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('endpoint ids', () => {
  it('put a tenant\'s chosen slug in its namespace; no chosen id can name another namespace', () => {
    assert.equal(tenantEndpointId('default', 'crm'), 'crm');
    assert.equal(tenantEndpointId('clinic', 'crm'), 'clinic.crm');
    assert.equal(endpointCreateSchema.safeParse({ id: 'bank.crm', url: 'https://x.example.com/' }).success, false);
    assert.equal(endpointCreateSchema.safeParse({ id: 'crm', url: 'https://x.example.com/' }).success, true);
    for (const id of ['crm', 'clinic.crm']) assert.equal(endpointIdSchema.safeParse(id).success, true, id);
    for (const id of ['clinic.crm.x', '.crm', 'clinic.', 'Clinic.crm']) assert.equal(endpointIdSchema.safeParse(id).success, false, id);
    assert.deepEqual(parseDeliveryId('evt_1~clinic.crm'), { eventId: 'evt_1', endpointId: 'clinic.crm' });
  });
});

describeEachStore('endpoint ids per tenant', [MASTER_KEY], (t) => {
  it('lets two tenants and default choose the same id, each with an endpoint of its own', async () => {
    const s = t.store();
    await s.createTenant({ id: 'clinic', settings: { name: 'Clinic' } });
    await s.createTenant({ id: 'bank', settings: { name: 'Bank' } });
    const clinic = forTenant(s, 'clinic');
    const bank = forTenant(s, 'bank');
    const home = forTenant(s, 'default');
    const made = await Promise.all([
      clinic.createEndpoint({ id: 'crm', secret: SECRET, settings: { url: 'https://clinic.example.com/' } }),
      bank.createEndpoint({ id: 'crm', secret: SECRET, settings: { url: 'https://bank.example.com/' } }),
      home.createEndpoint({ id: 'crm', secret: SECRET, settings: { url: 'https://home.example.com/' } }),
    ]);
    assert.deepEqual(made.map((e) => e.id), ['clinic.crm', 'bank.crm', 'crm']);

    // The conflict is the tenant's own endpoint, named as the tenant knows it.
    await assert.rejects(
      clinic.createEndpoint({ id: 'crm', secret: SECRET, settings: { url: 'https://clinic.example.com/2' } }),
      (err: unknown) => hasCode(err, 'conflict') && (err as Error).message.includes('"clinic.crm"'),
    );
    assert.deepEqual((await clinic.listEndpoints()).map((e) => [e.id, e.url]), [['clinic.crm', 'https://clinic.example.com/']]);
    assert.deepEqual((await bank.listEndpoints()).map((e) => [e.id, e.url]), [['bank.crm', 'https://bank.example.com/']]);
    assert.equal(await clinic.getEndpoint('bank.crm'), undefined);
    assert.equal(await bank.getEndpoint('crm'), undefined);
    assert.equal(await s.tenantOfEndpoint('bank.crm'), 'bank');
    assert.equal(await s.tenantOfEndpoint('crm'), 'default');

    // Each tenant's event reaches its own `crm` only.
    const m = createMatching({ store: s });
    const event = { id: 'evt_same', type: 'call_completed', occurredAt: '2026-11-30T10:00:00.000Z', data: {} };
    for (const [tenantId, id] of [['clinic', 'clinic.crm'], ['bank', 'bank.crm'], ['default', 'crm']]) {
      assert.deepEqual((await m.matchEndpoints({ event, tenantId })).map((x) => x.endpointId), [id]);
    }
    // Deleting one tenant's endpoint leaves the others'.
    assert.equal(await bank.deleteEndpoint('bank.crm'), true);
    assert.equal((await clinic.getEndpoint('clinic.crm'))?.url, 'https://clinic.example.com/');
    assert.equal((await home.getEndpoint('crm'))?.url, 'https://home.example.com/');
  });
});
