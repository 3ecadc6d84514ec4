import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { webhookBody } from '../../activities';
import { endpointCreateSchema, endpointPatchSchema } from '../../src/domain/endpoint';
import { sequencerWorkflowId } from '../../workflows/contract';

describe('ordering per call: names and body', () => {
  it('names a sequencer after the endpoint and a hash of the call id, whatever the call id holds', () => {
    const id = sequencerWorkflowId('crm-prod', 'call 8f3a/"quoted" ünïcode \n' + 'x'.repeat(5_000));
    assert.match(id, /^sequence-crm-prod-[0-9a-f]{32}$/);
    assert.equal(sequencerWorkflowId('crm-prod', 'call-1'), sequencerWorkflowId('crm-prod', 'call-1'));
    assert.notEqual(sequencerWorkflowId('crm-prod', 'call-1'), sequencerWorkflowId('crm-prod', 'call-2'));
    assert.notEqual(sequencerWorkflowId('crm-prod', 'call-1'), sequencerWorkflowId('crm-test', 'call-1'));
  });

  it('keeps the ids node:crypto gave (running sequencers are found by them): sha-256 of the call id as UTF-8', () => {
    const calls = ['', 'call-1', 'call 8f3a/"quoted" ünïcode \n', '😀 emoji', 'lone \ud800 surrogate', 'x'.repeat(55), 'x'.repeat(64), 'y'.repeat(5_000)];
    for (let i = 0; i < 200; i++) calls.push(String.fromCharCode(...Array.from({ length: i }, (_, j) => (i * 7919 + j * 104_729) % 0x10000)));
    for (const callId of calls) {
      const expected = `sequence-crm-prod-${createHash('sha256').update(callId, 'utf8').digest('hex').slice(0, 32)}`;
      assert.equal(sequencerWorkflowId('crm-prod', callId), expected, JSON.stringify(callId));
    }
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
