import assert from 'node:assert/strict';
import {
  deliveryId,
  endpointIdSchema,
  endpointSlugSchema,
  eventIdSchema,
  newId,
  parseDeliveryId,
  workflowIdForEvent,
} from '../../src/domain/ids';
import * as workflowIds from '../../workflows/contract';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) => schema.safeParse(v).success;

describe('ids', () => {
  describe('deliveryId / parseDeliveryId', () => {
    it('src/domain/ids re-exports the workflow-side functions', () => {
      assert.equal(deliveryId, workflowIds.deliveryId);
      assert.equal(workflowIdForEvent, workflowIds.workflowIdForEvent);
    });

    it('joins event and endpoint id with ~', () => {
      assert.equal(deliveryId('evt_1', 'crm'), 'evt_1~crm');
    });

    it('round-trips, including event ids with dots, colons, dashes and underscores', () => {
      const cases: Array<[string, string]> = [
        ['evt_0123abcd', 'ep-0123abcd'],
        ['call.completed:2025-01-31T09:30:00.000Z', 'crm'],
        ['a', 'b'],
        ['tenant:42.call:7.v1', 'billing-hook-2'],
        ['X'.repeat(200), 'e'.repeat(63)],
        ['9.9.9', '0'],
        ['a-b_c.d:e', 'a-b-c'],
      ];
      for (const [eventId, endpointId] of cases) {
        const id = deliveryId(eventId, endpointId);
        assert.deepEqual(parseDeliveryId(id), { eventId, endpointId }, id);
      }
    });

    it('round-trips newly generated ids', () => {
      for (let i = 0; i < 20; i++) {
        const eventId = newId('evt_');
        const endpointId = newId('ep-');
        assert.deepEqual(parseDeliveryId(deliveryId(eventId, endpointId)), { eventId, endpointId });
      }
    });

    it('refuses malformed delivery ids', () => {
      for (const id of [
        '',
        '~',
        'evt_1',
        'evt_1~',
        '~crm',
        'evt_1~~crm',
        'evt~1~crm',
        'evt_1~CRM',
        'evt_1~-crm',
        'evt_1~crm_hook',
        'evt_1~crm.hook.x',
        'evt_1~.hook',
        'evt_1~crm.',
        'evt_1~Clinic.hook',
        'evt_1~crm hook',
        'evt_1~' + 'e'.repeat(64),
        '.evt~crm',
        '_evt~crm',
        'evt 1~crm',
        'evt/1~crm',
        'X'.repeat(201) + '~crm',
        'evt_1~crm\n',
      ]) {
        assert.equal(parseDeliveryId(id), undefined, JSON.stringify(id));
      }
    });
  });

  describe('endpointSlugSchema (a chosen endpoint id)', () => {
    it('accepts lowercase slugs of 1 to 63 characters', () => {
      for (const v of ['a', '0', 'crm', 'crm-prod', 'ep-0123abcd', 'a1-b2-c3', 'a-', 'x'.repeat(63), '9'.repeat(63)]) {
        assert.equal(ok(endpointSlugSchema, v), true, v);
        assert.equal(ok(endpointIdSchema, v), true, v);
      }
    });

    it('refuses anything else', () => {
      for (const v of [
        '',
        '-crm',
        'Crm',
        'CRM',
        'crm_prod',
        'crm.prod',
        'crm:prod',
        'crm~prod',
        'crm prod',
        'crm/prod',
        'crm\n',
        'é',
        'x'.repeat(64),
        42,
        undefined,
      ]) {
        assert.equal(ok(endpointSlugSchema, v), false, JSON.stringify(v));
      }
    });
  });

  describe('endpointIdSchema (a slug, in a tenant\'s namespace outside default)', () => {
    it('accepts a slug alone or prefixed with one tenant id and a dot', () => {
      for (const v of ['crm', 'clinic.crm', 'tn-0123abcd.ep-0123abcd', `${'t'.repeat(63)}.${'x'.repeat(63)}`]) {
        assert.equal(ok(endpointIdSchema, v), true, v);
      }
    });

    it('refuses anything else', () => {
      for (const v of ['', '.crm', 'clinic.', 'clinic..crm', 'a.b.c', 'Clinic.crm', 'clinic.-crm', 'clinic~crm', `${'t'.repeat(64)}.crm`, 'crm_prod', 42]) {
        assert.equal(ok(endpointIdSchema, v), false, JSON.stringify(v));
      }
    });
  });

  describe('eventIdSchema', () => {
    it('accepts letters, digits and . _ : - up to 200 characters, starting with a letter or digit', () => {
      for (const v of ['a', 'Z', '7', 'evt_1', 'Call.Completed:2025-01-31T09:30:00Z', 'a._:-', 'A'.repeat(200)]) {
        assert.equal(ok(eventIdSchema, v), true, v);
      }
    });

    it('refuses anything else', () => {
      for (const v of [
        '',
        '_evt',
        '.evt',
        ':evt',
        '-evt',
        'evt~1',
        'evt 1',
        'evt/1',
        'evt#1',
        'evt\n',
        'évt',
        'A'.repeat(201),
        1,
        null,
      ]) {
        assert.equal(ok(eventIdSchema, v), false, JSON.stringify(v));
      }
    });
  });

  describe('newId', () => {
    it('evt_ ids are evt_ + lowercase hex and valid event ids', () => {
      const id = newId('evt_');
      assert.match(id, /^evt_[0-9a-f]{20}$/);
      assert.equal(ok(eventIdSchema, id), true);
    });

    it('ep- ids are ep- + lowercase hex and pass the endpoint slug rule', () => {
      for (let i = 0; i < 20; i++) {
        const id = newId('ep-');
        assert.match(id, /^ep-[0-9a-f]{20}$/);
        assert.equal(ok(endpointIdSchema, id), true, id);
      }
    });

    it('differs on each call', () => {
      const ids = new Set(Array.from({ length: 100 }, () => newId('evt_')));
      assert.equal(ids.size, 100);
    });
  });

  describe('workflowIdForEvent', () => {
    it('names the workflow after the event', () => {
      assert.equal(workflowIdForEvent('evt_1'), 'event-evt_1');
      assert.equal(workflowIdForEvent('call.completed:42'), 'event-call.completed:42');
    });

    it('is deterministic and distinct per event', () => {
      assert.equal(workflowIdForEvent('evt_a'), workflowIdForEvent('evt_a'));
      assert.notEqual(workflowIdForEvent('evt_a'), workflowIdForEvent('evt_b'));
    });
  });
});
