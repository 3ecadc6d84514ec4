import assert from 'node:assert/strict';
import { createMatching } from '../../activities/matching';
import type { EndpointSettings } from '../../src/domain/endpoint';
import { hasCode } from '../../src/errors';
import type { Store } from '../../src/store/store';
import type { CallbackEvent } from '../../workflows/contract';
import { describeEachStore } from '../helpers/storeKinds';

/**
 * Matching reads its candidates from the store's subscription index (the event's tenant, its type)
 * and never opens a sealed value; delivery opens the secrets of the endpoint it posts to.
 */

const MASTER_KEY = Buffer.alloc(32, 9);
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const URL = 'https://hooks.example.com/calls';

function event(type: string, data: Record<string, unknown> = {}): CallbackEvent {
  return { id: `evt_${type}`, type, occurredAt: '2026-11-30T10:00:00.000Z', data };
}

async function endpoint(store: Store, id: string, settings: Partial<EndpointSettings>, tenantId?: string) {
  await store.createEndpoint({ id, secret: SECRET, settings: { url: URL, ...settings }, tenantId });
}

/** Sorted: endpoints made in the same millisecond come in id order, others oldest first. */
const ids = (matched: Array<{ endpointId: string }>) => matched.map((m) => m.endpointId).sort();

describeEachStore('endpoint matching', [MASTER_KEY], (t) => {
  const matcher = () => createMatching({ store: t.store() });

  async function platform() {
    const s = t.store();
    await s.createTenant({ id: 'clinic', settings: { name: 'Clinic' } });
    await s.createTenant({ id: 'bank', settings: { name: 'Bank' } });
    await endpoint(s, 'c_all', {}, 'clinic');
    await endpoint(s, 'c_completed', { eventTypes: ['call_completed'] }, 'clinic');
    await endpoint(s, 'c_started', { eventTypes: ['call_started'] }, 'clinic');
    await endpoint(s, 'c_qualified', { eventTypes: ['call_completed', 'call_started'], filter: { 'data.disposition': 'qualified' } }, 'clinic');
    await endpoint(s, 'c_held', { eventTypes: ['call_completed'], disabled: true }, 'clinic');
    await endpoint(s, 'c_ops', { eventTypes: ['endpoint_disabled'] }, 'clinic');
    await endpoint(s, 'b_all', {}, 'bank');
    await endpoint(s, 'b_completed', { eventTypes: ['call_completed'], auth: { type: 'bearer', token: 'tok_bank' } }, 'bank');
    await endpoint(s, 'd_all', {});
  }

  it('answers exactly the tenant\'s endpoints subscribed to the type, wildcards included, filters applied', async () => {
    await platform();
    const m = matcher();
    const clinic = (e: CallbackEvent) => m.matchEndpoints({ event: e, tenantId: 'clinic' });
    // Disabled endpoints match: their deliveries are held (docs/delivery.md), not dropped.
    assert.deepEqual(ids(await clinic(event('call_completed', { disposition: 'qualified' }))), ['c_all', 'c_completed', 'c_held', 'c_qualified']);
    assert.deepEqual(ids(await clinic(event('call_completed', { disposition: 'voicemail' }))), ['c_all', 'c_completed', 'c_held']);
    assert.deepEqual(ids(await clinic(event('call_started', { disposition: 'qualified' }))), ['c_all', 'c_qualified', 'c_started']);
    // An operational event reaches only the endpoints that name it, never "all types".
    assert.deepEqual(ids(await clinic(event('endpoint_disabled'))), ['c_ops']);
    assert.deepEqual(ids(await clinic(event('delivery_exhausted'))), []);
    assert.deepEqual(ids(await m.matchEndpoints({ event: event('call_completed'), tenantId: 'bank' })), ['b_all', 'b_completed']);
    assert.deepEqual(ids(await m.matchEndpoints({ event: event('call_completed') })), ['d_all']);
    // A resend to one endpoint: that endpoint of the tenant only, whatever its types.
    assert.deepEqual(ids(await m.matchEndpoints({ event: event('call_completed'), tenantId: 'clinic', onlyEndpointId: 'c_started' })), ['c_started']);
    assert.deepEqual(ids(await m.matchEndpoints({ event: event('call_completed'), tenantId: 'clinic', onlyEndpointId: 'b_all' })), []);
    const [held] = await clinic(event('call_completed', { disposition: 'voicemail' })).then((all) => all.filter((x) => x.endpointId === 'c_held'));
    assert.equal(held.retry.maxAttempts, 8);
  });

  it('keeps the index in step with edits, deletions and a tenant\'s purge', async () => {
    await platform();
    const s = t.store();
    const m = matcher();
    const clinic = (type: string, data: Record<string, unknown> = {}) => m.matchEndpoints({ event: event(type, data), tenantId: 'clinic' }).then(ids);
    await s.updateEndpoint('c_started', { eventTypes: ['call_completed'] }, 'clinic');
    await s.updateEndpoint('c_all', { eventTypes: ['disposition_updated'] }, 'clinic');
    await s.updateEndpoint('c_ops', { eventTypes: null }, 'clinic');
    assert.deepEqual(await clinic('call_completed'), ['c_completed', 'c_held', 'c_ops', 'c_started']);
    assert.deepEqual(await clinic('call_started', { disposition: 'qualified' }), ['c_ops', 'c_qualified']);
    assert.deepEqual(await clinic('endpoint_disabled'), []);
    // A rotation or an auto-disable leaves the subscriptions as they are.
    await s.rotateSecret('c_completed', { secret: 'whsec_' + 'C'.repeat(32), graceMs: 0 }, 'clinic');
    assert.equal(await s.disableEndpoint('c_completed', 'test'), true);
    assert.deepEqual(await clinic('call_completed'), ['c_completed', 'c_held', 'c_ops', 'c_started']);
    assert.equal(await s.deleteEndpoint('c_started', 'clinic'), true);
    assert.deepEqual(await clinic('call_completed'), ['c_completed', 'c_held', 'c_ops']);
    // Made again under the same id, the endpoint is indexed afresh.
    await endpoint(s, 'c_started', { eventTypes: ['call_started'] }, 'clinic');
    assert.deepEqual(await clinic('call_completed'), ['c_completed', 'c_held', 'c_ops']);
    assert.equal(await s.beginTenantDeletion('clinic'), true);
    await s.purgeTenant('clinic');
    assert.deepEqual(await clinic('call_completed'), []);
    assert.deepEqual(await clinic('call_started'), []);
    assert.deepEqual(ids(await m.matchEndpoints({ event: event('call_completed'), tenantId: 'bank' })), ['b_all', 'b_completed']);
  });

  it('recompiles a filter edited by another process (the endpoint\'s version), not per event', async () => {
    await platform();
    const m = matcher();
    const qualified = { disposition: 'qualified' };
    const matchesQualified = async () => ids(await m.matchEndpoints({ event: event('call_started', qualified), tenantId: 'clinic' })).includes('c_qualified');
    assert.equal(await matchesQualified(), true);
    const other = await t.place().open({ masterKeys: [MASTER_KEY] });
    try {
      await other.updateEndpoint('c_qualified', { filter: { 'data.disposition': 'voicemail' } }, 'clinic');
    } finally {
      await other.close();
    }
    assert.equal(await matchesQualified(), false);
  });

  it('opens no secret: an endpoint whose sealed values no key opens still matches, and only its delivery fails', async () => {
    await platform();
    const stored = (await t.place().rawEndpoint('b_completed'))!;
    const settings = JSON.parse(stored.settings) as EndpointSettings & { auth: { token: string } };
    assert.match(settings.auth.token, /^v1\./);
    // Sealed with a key this store does not have: what a wrong master key would leave.
    const unopenable = 'v1.0000000000000000.' + Buffer.alloc(48, 7).toString('base64url');
    await t.place().writeRawEndpoint('b_completed', {
      secret: unopenable,
      settings: JSON.stringify({ ...settings, auth: { ...settings.auth, token: unopenable } }),
    });
    const matched = await matcher().matchEndpoints({ event: event('call_completed'), tenantId: 'bank' });
    assert.deepEqual(ids(matched), ['b_all', 'b_completed']);
    assert.ok(!JSON.stringify(matched).includes('v1.'), 'no sealed value leaves matching');
    // What delivery reads: the endpoint with its secret, which cannot be opened.
    await assert.rejects(t.store().getEndpoint('b_completed'), (err: unknown) => hasCode(err, 'store_key_error'));
    assert.equal((await t.store().getEndpoint('b_all'))?.secret, SECRET);
  });

  it('measures each match', async () => {
    await platform();
    const seconds: number[] = [];
    const m = createMatching({ store: t.store(), observe: (s) => seconds.push(s) });
    await m.matchEndpoints({ event: event('call_completed'), tenantId: 'clinic' });
    await m.matchEndpoints({ event: event('call_completed'), tenantId: 'clinic', onlyEndpointId: 'c_all' });
    assert.equal(seconds.length, 2);
    assert.ok(seconds.every((s) => s > 0 && s < 5), String(seconds));
  });
});
