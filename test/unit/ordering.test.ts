import assert from 'node:assert/strict';
import { webhookBody } from '../../activities';
import { endpointCreateSchema, endpointPatchSchema } from '../../src/domain/endpoint';
import { sequencerIdForCall } from '../../src/temporal/sequences';

describe('ordering per call: names and body', () => {
  it('names a sequencer after the endpoint and a hash of the call id, whatever the call id holds', () => {
    const id = sequencerIdForCall('crm-prod', 'call 8f3a/"quoted" ünïcode \n' + 'x'.repeat(5_000));
    assert.match(id, /^sequence-crm-prod-[0-9a-f]{32}$/);
    assert.equal(sequencerIdForCall('crm-prod', 'call-1'), sequencerIdForCall('crm-prod', 'call-1'));
    assert.notEqual(sequencerIdForCall('crm-prod', 'call-1'), sequencerIdForCall('crm-prod', 'call-2'));
    assert.notEqual(sequencerIdForCall('crm-prod', 'call-1'), sequencerIdForCall('crm-test', 'call-1'));
  });

  it('keeps the ids it has always given (running sequencers are found by them): sha-256 of the call id as UTF-8', () => {
    assert.equal(sequencerIdForCall('crm-prod', 'call-1'), 'sequence-crm-prod-5d7963c4f471e142f5a72214a9666fb1');
    assert.equal(sequencerIdForCall('crm-prod', 'call 8f3a/"quoted" ünïcode \n'), 'sequence-crm-prod-ac98b169437e8ff57fa7ead6a80ac235');
  });

  it('puts outOfOrder at the top level of the body only when set', () => {
    const event = { id: 'evt_1', type: 'call_started', occurredAt: '2026-11-29T10:00:00Z', data: {} };
    assert.deepEqual(Object.keys(JSON.parse(webhookBody(event, { callId: 'c' }))), ['id', 'type', 'timestamp', 'data']);
    const flagged = JSON.parse(webhookBody(event, { callId: 'c' }, { outOfOrder: true }));
    assert.deepEqual(Object.keys(flagged), ['id', 'type', 'timestamp', 'outOfOrder', 'data']);
    assert.equal(flagged.outOfOrder, true);
  });

  it('accepts ordering settings on endpoints, and clears them with null', () => {
    const base = { url: 'https://crm.example.com/hooks' };
    assert.equal(endpointCreateSchema.safeParse({ ...base, ordering: 'per_call', orderingWindowMs: 500 }).success, true);
    assert.equal(endpointCreateSchema.safeParse({ ...base, ordering: 'per_event' }).success, false);
    assert.equal(endpointCreateSchema.safeParse({ ...base, orderingWindowMs: 61_000 }).success, false);
    assert.equal(endpointPatchSchema.safeParse({ ordering: null, orderingWindowMs: null }).success, true);
  });
});
