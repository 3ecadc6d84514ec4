import assert from 'node:assert/strict';
import { eventTypes } from '../../src/domain/catalog';
import { payloadScopeSchema, scopeData, scopeProblems } from '../../src/domain/scope';

const at = '2025-01-31T09:30:00Z';

function completed(): Record<string, unknown> {
  return {
    callId: 'call_1',
    agentId: 'agent_1',
    metadata: { crmLeadId: 'L-42' },
    startedAt: at,
    endedAt: at,
    durationMs: 1000,
    endedReason: 'caller_hangup',
    disposition: 'appointment_booked',
    summary: 'Caller booked a visit.',
    extracted: { preferred_date: '2025-02-03', dob: '1970-01-01' },
    transcript: [{ role: 'caller', text: 'Hi' }],
    recordingUrl: 'https://media.example.com/r/1',
  };
}

describe('payload scoping', () => {
  describe('scopeData', () => {
    it('drops sensitive fields by default and keeps the rest, metadata included', () => {
      const out = scopeData('call_completed', completed(), undefined);
      assert.deepEqual(out, {
        callId: 'call_1',
        agentId: 'agent_1',
        metadata: { crmLeadId: 'L-42' },
        startedAt: at,
        endedAt: at,
        durationMs: 1000,
        endedReason: 'caller_hangup',
        disposition: 'appointment_booked',
      });
      assert.deepEqual(scopeData('call_completed', completed(), {}), out);
      assert.deepEqual(scopeData('call_completed', completed(), { sensitive: false }), out);
    });

    it('drops the sensitive fields of the given type', () => {
      const out = scopeData('call_started', { callId: 'c', direction: 'inbound', from: '+1', to: '+2', startedAt: at }, undefined);
      assert.deepEqual(out, { callId: 'c', direction: 'inbound', startedAt: at });
    });

    it('keeps sensitive fields with sensitive: true', () => {
      assert.deepEqual(scopeData('call_completed', completed(), { sensitive: true }), completed());
    });

    it('include keeps only the listed paths plus callId', () => {
      const out = scopeData('call_completed', completed(), { include: ['disposition', 'metadata'] });
      assert.deepEqual(out, { callId: 'call_1', disposition: 'appointment_booked', metadata: { crmLeadId: 'L-42' } });
    });

    it('include reaches into a map', () => {
      const out = scopeData('call_completed', completed(), {
        include: ['extracted.preferred_date', 'metadata.crmLeadId'],
        sensitive: true,
      });
      assert.deepEqual(out, { callId: 'call_1', extracted: { preferred_date: '2025-02-03' }, metadata: { crmLeadId: 'L-42' } });
    });

    it('include cannot bring back a sensitive field, or part of one, without sensitive: true', () => {
      const out = scopeData('call_completed', completed(), { include: ['summary', 'extracted.preferred_date', 'disposition'] });
      assert.deepEqual(out, { callId: 'call_1', disposition: 'appointment_booked' });
    });

    it('include skips paths the event does not have', () => {
      assert.deepEqual(scopeData('call_completed', completed(), { include: ['intent', 'nope.deeper'] }), { callId: 'call_1' });
    });

    it('exclude removes top-level and nested map paths', () => {
      const out = scopeData('call_completed', completed(), {
        sensitive: true,
        exclude: ['transcript', 'extracted.dob', 'metadata.crmLeadId', 'not.there'],
      });
      const expected = completed();
      delete expected.transcript;
      expected.extracted = { preferred_date: '2025-02-03' };
      expected.metadata = {};
      assert.deepEqual(out, expected);
    });

    it('applies include then exclude', () => {
      const out = scopeData('call_completed', completed(), {
        sensitive: true,
        include: ['extracted', 'disposition'],
        exclude: ['extracted.dob'],
      });
      assert.deepEqual(out, { callId: 'call_1', disposition: 'appointment_booked', extracted: { preferred_date: '2025-02-03' } });
    });

    it('never removes callId', () => {
      const out = scopeData('call_completed', completed(), { include: [], exclude: ['callId'] });
      assert.deepEqual(out, { callId: 'call_1' });
    });

    it('does not mutate the input and shares no objects with it', () => {
      const input = completed();
      const snapshot = structuredClone(input);
      const scopes = [undefined, { sensitive: true }, { include: ['extracted.preferred_date'], sensitive: true }, { exclude: ['extracted.dob', 'summary'], sensitive: true }];
      for (const scope of scopes) {
        const out = scopeData('call_completed', input, scope);
        if (out.extracted) (out.extracted as Record<string, unknown>).injected = true;
        if (out.metadata) (out.metadata as Record<string, unknown>).injected = 'x';
      }
      assert.deepEqual(input, snapshot);
    });
  });

  describe('payloadScopeSchema', () => {
    it('accepts a full scope', () => {
      const scope = { include: ['callId', 'extracted.preferred_date'], exclude: ['metadata.internal'], sensitive: true };
      assert.deepEqual(payloadScopeSchema.parse(scope), scope);
    });

    it('rejects malformed paths, unknown keys and excluding callId', () => {
      for (const bad of [
        { include: [''] },
        { include: ['a..b'] },
        { include: ['.a'] },
        { exclude: ['a.'] },
        { include: ['data.callId'] },
        { exclude: ['callId'] },
        { sensitive: 'yes' },
        { includes: ['callId'] },
      ]) {
        assert.equal(payloadScopeSchema.safeParse(bad).success, false, JSON.stringify(bad));
      }
    });
  });

  describe('scopeProblems', () => {
    it('flags an include of a sensitive field without sensitive: true', () => {
      const problems = scopeProblems(['call_completed'], { include: ['transcript'] });
      assert.deepEqual(problems, [
        'payloadScope.include names "transcript", a sensitive field of call_completed: ' +
          'set payloadScope.sensitive to true only if this endpoint is approved to hold it',
      ]);
    });

    it('flags a path inside a sensitive map and names every type it is sensitive in', () => {
      const problems = scopeProblems(eventTypes, { include: ['extracted.preferred_date', 'disposition'] });
      assert.equal(problems.length, 1);
      assert.match(problems[0], /"extracted\.preferred_date"/);
      assert.match(problems[0], /call_completed, disposition_updated/);
    });

    it('only checks the given types', () => {
      assert.deepEqual(scopeProblems(['call_started'], { include: ['summary'] }), []);
      assert.equal(scopeProblems(['call_started', 'escalation_requested'], { include: ['summary'] }).length, 1);
    });

    it('is fine with sensitive: true, non-sensitive paths, exclude-only or no scope', () => {
      assert.deepEqual(scopeProblems(eventTypes, { include: ['transcript', 'summary'], sensitive: true }), []);
      assert.deepEqual(scopeProblems(eventTypes, { include: ['disposition', 'metadata.crmLeadId', 'callId'] }), []);
      assert.deepEqual(scopeProblems(eventTypes, { exclude: ['transcript'] }), []);
      assert.deepEqual(scopeProblems(eventTypes, undefined), []);
    });
  });
});
