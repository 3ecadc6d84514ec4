import assert from 'node:assert/strict';
import { isOperational, OPERATIONAL_EVENT_TYPES } from '../../workflows/contract';
import { z } from 'zod';
import {
  catalog,
  dataSchemaFor,
  eventTypeSchema,
  eventTypes,
  parseEventData,
  producerEventTypes,
  sensitive,
  sensitivePaths,
  serviceEventTypes,
} from '../../src/domain/catalog';

const at = '2025-01-31T09:30:00Z';

const callCompleted = {
  callId: 'call_1',
  agentId: 'agent_1',
  metadata: { crmLeadId: 'L-42' },
  startedAt: at,
  endedAt: '2025-01-31T09:35:00+01:00',
  durationMs: 300000,
  endedReason: 'caller_hangup',
  disposition: 'appointment_booked',
  intent: 'book',
  summary: 'Caller booked a visit.',
  extracted: { preferred_date: '2025-02-03', insured: true },
  transcript: [
    { role: 'agent', text: 'Hello', at },
    { role: 'caller', text: 'Hi' },
  ],
  recordingUrl: 'https://media.example.com/r/1',
};

describe('catalog', () => {
  it('lists every type once and exposes them as an enum', () => {
    assert.ok(eventTypes.includes('call_completed'));
    assert.ok(eventTypes.includes('endpoint_test'));
    assert.equal(new Set(eventTypes).size, eventTypes.length);
    assert.equal(eventTypeSchema.safeParse('call_started').success, true);
    assert.equal(eventTypeSchema.safeParse('call_exploded').success, false);
  });

  describe('parseEventData', () => {
    it('accepts valid data for several types', () => {
      const cases: Array<[Parameters<typeof parseEventData>[0], unknown]> = [
        ['call_started', { callId: 'c', direction: 'inbound', from: '+15550100', to: '+15550101', startedAt: at }],
        ['call_completed', callCompleted],
        ['escalation_requested', { callId: 'c', priority: 'urgent', reasonCode: 'chest_pain', slaDueAt: at }],
        [
          'callback_scheduled',
          {
            callId: 'c',
            contactToken: 'ct_1',
            phone: '+15550100',
            window: { start: at, end: '2025-01-31T11:00:00Z', timezone: 'America/New_York' },
          },
        ],
        ['recording_ready', { callId: 'c', recordingId: 'r', format: 'wav', durationMs: 0, url: 'https://x.test/r' }],
        ['endpoint_test', { callId: 'test' }],
      ];
      for (const [type, data] of cases) {
        const result = parseEventData(type, data);
        assert.equal(result.success, true, `${type}: ${result.success ? '' : result.error.message}`);
      }
    });

    it('returns the parsed data on success', () => {
      const result = parseEventData('call_completed', callCompleted);
      assert.ok(result.success);
      assert.deepEqual(result.data, callCompleted);
    });

    it('reports a missing callId as required', () => {
      const result = parseEventData('call_started', { direction: 'inbound', from: 'a', to: 'b', startedAt: at });
      assert.equal(result.success, false);
      assert.ok(!result.success);
      assert.deepEqual(result.error.details, [{ path: 'data.callId', message: 'required' }]);
      assert.match(result.error.message, /data\.callId: required/);
      assert.match(result.error.message, /call_started/);
    });

    it('rejects an empty callId', () => {
      const result = parseEventData('endpoint_test', { callId: '' });
      assert.ok(!result.success);
      assert.deepEqual(result.error.details, [{ path: 'data.callId', message: 'must not be empty' }]);
    });

    it('rejects unknown fields, naming each one, also in nested objects', () => {
      const result = parseEventData('callback_scheduled', {
        callId: 'c',
        contactToken: 'ct',
        phone: '+1',
        window: { start: at, end: '2025-01-31T10:00:00Z', timezone: 'UTC', tz: 'UTC' },
        ssn: '123',
      });
      assert.ok(!result.success);
      assert.deepEqual(
        [...result.error.details].sort((a, b) => a.path.localeCompare(b.path)),
        [
          { path: 'data.ssn', message: 'unknown field' },
          { path: 'data.window.tz', message: 'unknown field' },
        ],
      );
    });

    it('rejects a bad enum value and lists the options', () => {
      const result = parseEventData('call_started', { callId: 'c', direction: 'sideways', from: 'a', to: 'b', startedAt: at });
      assert.ok(!result.success);
      assert.deepEqual(result.error.details, [{ path: 'data.direction', message: 'must be one of "inbound", "outbound"' }]);
    });

    it('explains bad formats, types and nested array items', () => {
      const result = parseEventData('call_completed', {
        ...callCompleted,
        startedAt: 'yesterday',
        durationMs: 1.5,
        recordingUrl: 'javascript:alert(1)',
        transcript: [{ role: 'robot', text: 'hi' }],
        metadata: { crmLeadId: 42 },
      });
      assert.ok(!result.success);
      const byPath = Object.fromEntries(result.error.details.map((d) => [d.path, d.message]));
      assert.match(byPath['data.startedAt'], /ISO 8601/);
      assert.equal(byPath['data.durationMs'], 'must be an integer');
      assert.equal(byPath['data.recordingUrl'], 'must be an http(s) URL');
      assert.match(byPath['data.transcript[0].role'], /must be one of "agent"/);
      assert.equal(byPath['data.metadata.crmLeadId'], 'must be a string');
    });

    it('rejects a callback window that ends before it starts or names no real time zone', () => {
      const result = parseEventData('callback_scheduled', {
        callId: 'c',
        contactToken: 'ct',
        phone: '+1',
        window: { start: '2025-01-31T11:00:00Z', end: at, timezone: 'Mars/Olympus' },
      });
      assert.ok(!result.success);
      const paths = result.error.details.map((d) => d.path);
      assert.ok(paths.includes('data.window.timezone'), paths.join());
      assert.ok(paths.includes('data.window.end'), paths.join());
    });

    it('rejects data that is not an object', () => {
      const result = parseEventData('call_started', 'nope');
      assert.ok(!result.success);
      assert.deepEqual(result.error.details, [{ path: 'data', message: 'must be an object' }]);
    });
  });

  describe('sensitivePaths', () => {
    it('derives call_completed sensitive fields from the schema marks', () => {
      const paths = sensitivePaths('call_completed');
      for (const p of ['summary', 'extracted', 'transcript', 'recordingUrl']) assert.ok(paths.includes(p), p);
      for (const p of ['callId', 'disposition', 'metadata', 'intent', 'endedReason']) assert.ok(!paths.includes(p), p);
    });

    it('covers the other types', () => {
      assert.deepEqual(sensitivePaths('call_started').sort(), ['from', 'to']);
      assert.deepEqual(sensitivePaths('callback_scheduled'), ['phone']);
      assert.deepEqual(sensitivePaths('recording_ready'), ['url']);
      assert.deepEqual(sensitivePaths('endpoint_test'), []);
    });

    it('returns a copy callers cannot use to change the catalog', () => {
      sensitivePaths('call_started').push('callId');
      assert.ok(!sensitivePaths('call_started').includes('callId'));
    });

    it('agrees with the mark on every schema field', () => {
      for (const type of eventTypes) {
        const shape = dataSchemaFor(type).shape as Record<string, z.ZodType>;
        for (const [key, field] of Object.entries(shape)) {
          const json = z.toJSONSchema(field) as Record<string, unknown>;
          assert.equal(sensitivePaths(type).includes(key), json['x-sensitive'] === true, `${type}.${key}`);
        }
      }
    });

    it('sensitive() marks a schema without changing what it accepts', () => {
      const s = sensitive(z.string());
      assert.equal(s.safeParse('x').success, true);
      assert.equal(s.safeParse(1).success, false);
      assert.equal((z.toJSONSchema(s) as Record<string, unknown>)['x-sensitive'], true);
    });
  });

  describe('catalog()', () => {
    const entries = catalog();

    it('has one entry per type with a description and a JSON Schema', () => {
      assert.deepEqual(
        entries.map((e) => e.type),
        [...eventTypes],
      );
      for (const entry of entries) {
        assert.ok(entry.description.length > 0, entry.type);
        assert.equal(entry.schema.type, 'object');
        assert.equal(entry.schema.additionalProperties, false);
        // Call events always name their call; operational events are about deliveries and endpoints.
        if (!isOperational(entry.type)) assert.ok(entry.schema.required?.includes('callId'), entry.type);
        assert.deepEqual(entry.sensitiveFields, sensitivePaths(entry.type));
      }
    });

    it('lists the operational events with no sensitive fields, and keeps them from producers', () => {
      for (const type of OPERATIONAL_EVENT_TYPES) {
        const entry = entries.find((e) => e.type === type);
        assert.ok(entry, type);
        assert.deepEqual(entry.sensitiveFields, []);
        assert.equal(producerEventTypes.includes(type), false);
        assert.ok(serviceEventTypes.includes(type));
      }
      assert.equal(producerEventTypes.includes('endpoint_test'), false);
      assert.ok(producerEventTypes.includes('call_completed'));
    });

    it('marks sensitive fields in the JSON Schema and leaves others unmarked', () => {
      const entry = entries.find((e) => e.type === 'call_completed');
      assert.ok(entry);
      const props = entry.schema.properties as Record<string, Record<string, unknown>>;
      for (const p of ['summary', 'extracted', 'transcript', 'recordingUrl']) assert.equal(props[p]['x-sensitive'], true, p);
      assert.equal(props.disposition['x-sensitive'], undefined);
      assert.equal(props.startedAt.format, 'date-time');
      assert.ok(!entry.schema.required?.includes('summary'));
    });

    it('is serialisable as JSON', () => {
      assert.deepEqual(JSON.parse(JSON.stringify(entries)), entries);
    });
  });
});
