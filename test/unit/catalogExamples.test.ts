import assert from 'node:assert/strict';
import { isOperational } from '../../workflows/contract';
import { catalog, dataSchemaFor, eventTypes, exampleData, parseEventData, sensitivePaths } from '../../src/domain/catalog';
import { catalogExamples } from '../../src/domain/catalogExamples';
import { hasPath } from '../../src/paths';
import { webhookBody } from '../../activities';
import { testBodySchema } from '../../src/api/endpointRoutes';

describe('catalog examples', () => {
  it('has one example per type, each valid against its own type’s schema and unchanged by parsing', () => {
    assert.deepEqual(Object.keys(catalogExamples).sort(), [...eventTypes].sort());
    for (const type of eventTypes) {
      const result = parseEventData(type, catalogExamples[type]);
      assert.equal(result.success, true, `${type}: ${result.success ? '' : result.error.message}`);
      // Nothing stripped or defaulted: what the listing shows is what a test sends.
      assert.deepEqual(dataSchemaFor(type).parse(catalogExamples[type]), catalogExamples[type], type);
    }
  });

  it('fills every sensitive field of the call types, so a test send shows what scoping removes', () => {
    for (const type of eventTypes) {
      if (isOperational(type) || type === 'endpoint_test') continue;
      const example = catalogExamples[type] as Record<string, unknown>;
      assert.ok(sensitivePaths(type).length > 0, `${type} has sensitive fields`);
      for (const path of sensitivePaths(type)) assert.ok(hasPath(example, path), `${type}.${path}`);
      assert.equal(typeof (example.metadata as Record<string, unknown>).leadId, 'string', `${type} metadata.leadId`);
    }
  });

  it('is listed by the catalog, as a copy the caller cannot use to change the example', () => {
    const entries = catalog();
    for (const entry of entries) assert.deepEqual(entry.example, catalogExamples[entry.type], entry.type);
    const copy = exampleData('call_completed');
    copy.callId = 'changed';
    (copy.metadata as Record<string, string>).leadId = 'changed';
    assert.notEqual(catalogExamples.call_completed.callId, 'changed');
    assert.notEqual(catalogExamples.call_completed.metadata?.leadId, 'changed');
  });
});

describe('callback_scheduled without a phone number', () => {
  const window = { start: '2026-12-01T14:00:00Z', end: '2026-12-01T16:00:00Z', timezone: 'America/Chicago' };

  it('is accepted with only callId, contactToken and window', () => {
    const result = parseEventData('callback_scheduled', { callId: 'c', contactToken: 'ct_1', window });
    assert.equal(result.success, true, result.success ? '' : result.error.message);
  });

  it('still requires the contact token and keeps phone sensitive and optional in the JSON Schema', () => {
    const result = parseEventData('callback_scheduled', { callId: 'c', window });
    assert.ok(!result.success);
    assert.deepEqual(result.error.details, [{ path: 'data.contactToken', message: 'required' }]);
    assert.deepEqual(sensitivePaths('callback_scheduled'), ['phone']);
    const entry = catalog().find((e) => e.type === 'callback_scheduled');
    assert.ok(entry);
    assert.equal(entry.schema.required?.includes('phone'), false);
    assert.ok(entry.schema.required?.includes('contactToken'));
    const phone = (entry.schema.properties as Record<string, Record<string, unknown>>).phone;
    assert.equal(phone['x-sensitive'], true);
  });

  it('rejects a phone that is not a string', () => {
    const result = parseEventData('callback_scheduled', { callId: 'c', contactToken: 'ct_1', window, phone: 5550100 });
    assert.ok(!result.success);
    assert.deepEqual(result.error.details, [{ path: 'data.phone', message: 'must be a string' }]);
  });
});

describe('endpoint test body and mark', () => {
  it('defaults to endpoint_test and takes any catalog type, operational ones included', () => {
    assert.deepEqual(testBodySchema.parse({}), { type: 'endpoint_test' });
    for (const type of eventTypes) assert.deepEqual(testBodySchema.parse({ type }), { type });
  });

  it('refuses an unknown type by name, and unknown fields', () => {
    const unknown = testBodySchema.safeParse({ type: 'call_exploded' });
    assert.ok(!unknown.success);
    assert.match(unknown.error.issues[0].message, /unknown event type "call_exploded"; one of: call_started, /);
    assert.equal(testBodySchema.safeParse({ type: 'call_started', extra: 1 }).success, false);
  });

  it('puts test: true at the top level of the body of a test event only', () => {
    const event = { id: 'evt_1', type: 'call_completed', occurredAt: '2026-11-29T10:00:00Z', data: {} };
    const marked = JSON.parse(webhookBody({ ...event, test: true }, { callId: 'c' }, { outOfOrder: true }));
    assert.deepEqual(Object.keys(marked), ['id', 'type', 'timestamp', 'test', 'outOfOrder', 'data']);
    assert.equal(marked.test, true);
    assert.equal('test' in JSON.parse(webhookBody(event, { callId: 'c' })), false);
  });
});
