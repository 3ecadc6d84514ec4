import assert from 'node:assert/strict';
import type { EndpointSettings } from '../../src/domain/endpoint';
import type { AttemptRecord, Store } from '../../src/store/store';
import { CallbackEventsError } from '../../src/errors';
import { STORE_KINDS, storePlace, type StorePlace } from '../helpers/storeKinds';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The master key that seals secrets at rest (test/unit/secretsAtRest.test.ts covers that). */
const MASTER_KEY = Buffer.alloc(32, 3);

const fullSettings: EndpointSettings = {
  url: 'https://hooks.example.com/calls',
  description: 'CRM sync',
  eventTypes: ['call_completed'],
  auth: { type: 'bearer', token: 'tok_123' },
  headers: { 'X-Tenant': 'acme' },
  retry: { maxAttempts: 3, retryAllErrors: true },
  fallbackUrl: 'https://fallback.example.com/calls',
  autoDisableAfterMs: 60_000,
  reviewWindowMs: 3_600_000,
};

function attempt(overrides: Partial<AttemptRecord> & Pick<AttemptRecord, 'deliveryId' | 'attempt'>): AttemptRecord {
  return {
    target: 'primary',
    url: 'https://hooks.example.com/calls',
    startedAt: '2025-01-31T09:30:00.000Z',
    durationMs: 120,
    ...overrides,
  };
}

/**
 * The store contract: every test runs against each store (SQLite, PostgreSQL), so the two answer
 * alike. What only one store has (SQLite's file and its upgrades, PostgreSQL's migrations across
 * processes) is in sqliteStore.test.ts and postgresStore.test.ts.
 */
for (const kind of STORE_KINDS) {
  describe(`store contract (${kind})`, () => {
    let place: StorePlace;
    let store: Store | undefined;

    beforeEach(async () => {
      place = await storePlace(kind);
      store = await place.open({ masterKeys: [MASTER_KEY] });
    });

    afterEach(async () => {
      await store?.close();
      store = undefined;
      await place.dispose();
    });

    /** The open store (each test has one). */
    const s = (): Store => store!;

    /** Closes the current store and opens the same data again. */
    async function reopen(): Promise<Store> {
      await store?.close();
      store = undefined;
      store = await place.open({ masterKeys: [MASTER_KEY] });
      return store;
    }

    describe('endpoints', () => {
      it('creates an endpoint and reads it back with its secret and settings', async () => {
        const created = await s().createEndpoint({ id: 'ep_crm', secret: SECRET, settings: fullSettings });
        assert.equal(created.id, 'ep_crm');
        assert.equal(created.secret, SECRET);
        assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
        assert.equal(created.updatedAt, created.createdAt);

        const got = await s().getEndpoint('ep_crm');
        assert.deepEqual(got, { id: 'ep_crm', ...fullSettings, secret: SECRET, createdAt: created.createdAt, updatedAt: created.updatedAt });
      });

      it('answers undefined for an unknown id', async () => {
        assert.equal(await s().getEndpoint('ep_nope'), undefined);
      });

      it('refuses a duplicate id with a conflict error and keeps the first', async () => {
        await s().createEndpoint({ id: 'ep_dup', secret: SECRET, settings: { url: 'https://a.example.com/' } });
        await assert.rejects(
          s().createEndpoint({ id: 'ep_dup', secret: 'whsec_other', settings: { url: 'https://b.example.com/' } }),
          (err: unknown) => err instanceof CallbackEventsError && err.code === 'conflict' && /ep_dup/.test(err.message),
        );
        const kept = await s().getEndpoint('ep_dup');
        assert.equal(kept?.url, 'https://a.example.com/');
        assert.equal(kept?.secret, SECRET);
        assert.equal((await s().listEndpoints()).length, 1);
      });

      it('lists every endpoint without its secret', async () => {
        assert.deepEqual(await s().listEndpoints(), []);
        await s().createEndpoint({ id: 'ep_b', secret: SECRET, settings: { url: 'https://b.example.com/' } });
        await s().createEndpoint({ id: 'ep_a', secret: SECRET, settings: fullSettings });
        const list = await s().listEndpoints();
        assert.deepEqual(list.map((e) => e.id).sort(), ['ep_a', 'ep_b']);
        for (const endpoint of list) assert.ok(!('secret' in endpoint), `${endpoint.id} leaks its secret`);
        const a = list.find((e) => e.id === 'ep_a')!;
        assert.equal(a.description, 'CRM sync');
        assert.deepEqual(a.auth, fullSettings.auth);
      });

      it('updates: undefined keeps a field, a value sets it, null clears it', async () => {
        const created = await s().createEndpoint({ id: 'ep_u', secret: SECRET, settings: fullSettings });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const updated = await s().updateEndpoint('ep_u', {
          url: 'https://new.example.com/hook',
          description: null,
          auth: null,
          headers: { 'X-Tenant': 'globex' },
          eventTypes: undefined,
        });
        assert.ok(updated);
        assert.ok(!('secret' in updated), 'update answers without the secret');
        assert.equal(updated.url, 'https://new.example.com/hook');
        assert.ok(!('description' in updated), 'description cleared');
        assert.ok(!('auth' in updated), 'auth cleared');
        assert.deepEqual(updated.headers, { 'X-Tenant': 'globex' });
        assert.deepEqual(updated.eventTypes, ['call_completed']);
        assert.deepEqual(updated.retry, fullSettings.retry);
        assert.equal(updated.createdAt, created.createdAt);
        assert.ok(updated.updatedAt > created.updatedAt, 'updatedAt moves on');

        const stored = await s().getEndpoint('ep_u');
        assert.equal(stored?.secret, SECRET, 'the secret survives an update');
        assert.equal(stored?.url, 'https://new.example.com/hook');
        assert.equal(stored?.description, undefined);
        assert.equal(stored?.auth, undefined);
      });

      it('answers undefined when updating an unknown endpoint', async () => {
        assert.equal(await s().updateEndpoint('ep_nope', { description: 'x' }), undefined);
        assert.deepEqual(await s().listEndpoints(), []);
      });

      it('records an operator when a patch disables, and clears the reason when a patch enables', async () => {
        await s().createEndpoint({ id: 'ep_d', secret: SECRET, settings: { url: 'https://d.example.com/' } });
        const disabled = await s().updateEndpoint('ep_d', { disabled: true });
        assert.equal(disabled?.disabled, true);
        assert.equal(disabled?.disabledReason, 'disabled by an operator');

        const enabled = await s().updateEndpoint('ep_d', { disabled: false });
        assert.equal(enabled?.disabled, false);
        assert.ok(!('disabledReason' in enabled!), 'reason cleared');
        assert.equal((await s().getEndpoint('ep_d'))?.disabledReason, undefined);
      });

      it('enabling clears a reason set by the service', async () => {
        await s().createEndpoint({ id: 'ep_e', secret: SECRET, settings: { url: 'https://e.example.com/' } });
        assert.equal(await s().disableEndpoint('ep_e', 'failing for 5 days'), true);
        const enabled = await s().updateEndpoint('ep_e', { disabled: false });
        assert.equal(enabled?.disabled, false);
        assert.equal(enabled?.disabledReason, undefined);
      });

      it('keeps the original reason when a patch disables an endpoint already disabled', async () => {
        await s().createEndpoint({ id: 'ep_k', secret: SECRET, settings: { url: 'https://k.example.com/' } });
        await s().disableEndpoint('ep_k', 'receiver answered 410 Gone');
        const again = await s().updateEndpoint('ep_k', { disabled: true, description: 'noted' });
        assert.equal(again?.disabledReason, 'receiver answered 410 Gone');
        assert.equal(again?.description, 'noted');
      });

      it('deletes an endpoint once', async () => {
        await s().createEndpoint({ id: 'ep_x', secret: SECRET, settings: { url: 'https://x.example.com/' } });
        await s().createEndpoint({ id: 'ep_y', secret: SECRET, settings: { url: 'https://y.example.com/' } });
        assert.equal(await s().deleteEndpoint('ep_x'), true);
        assert.equal(await s().getEndpoint('ep_x'), undefined);
        assert.equal(await s().deleteEndpoint('ep_x'), false);
        assert.equal(await s().deleteEndpoint('ep_nope'), false);
        assert.deepEqual((await s().listEndpoints()).map((e) => e.id), ['ep_y']);
        // The id is free again.
        await s().createEndpoint({ id: 'ep_x', secret: SECRET, settings: { url: 'https://x2.example.com/' } });
        assert.equal((await s().getEndpoint('ep_x'))?.url, 'https://x2.example.com/');
      });

      it('keeps the signing secret, the replaced one and the auth credential sealed at rest', async () => {
        await s().createEndpoint({ id: 'ep_sealed', secret: SECRET, settings: fullSettings });
        await s().rotateSecret('ep_sealed', { secret: 'whsec_' + 'C'.repeat(32), graceMs: 60_000 });
        const raw = await place.rawEndpoint('ep_sealed');
        assert.ok(raw?.secret.startsWith('v1.') && raw.previous_secret?.startsWith('v1.'), 'both secrets sealed');
        const stored = JSON.stringify(raw);
        for (const clear of [SECRET, 'C'.repeat(32), 'tok_123']) assert.ok(!stored.includes(clear), `${clear} is kept in the clear`);
        const ep = await s().getEndpoint('ep_sealed');
        assert.equal(ep?.previousSecret, SECRET);
        assert.deepEqual(ep?.auth, fullSettings.auth);
      });
    });

    describe('disableEndpoint', () => {
      it('disables an enabled endpoint once, with its reason', async () => {
        await s().createEndpoint({ id: 'ep_1', secret: SECRET, settings: fullSettings });
        assert.equal(await s().disableEndpoint('ep_1', 'every attempt failed for 120 hours'), true);
        const stored = await s().getEndpoint('ep_1');
        assert.equal(stored?.disabled, true);
        assert.equal(stored?.disabledReason, 'every attempt failed for 120 hours');
        assert.equal(stored?.url, fullSettings.url, 'other settings kept');
        assert.equal(stored?.secret, SECRET);

        assert.equal(await s().disableEndpoint('ep_1', 'a second reason'), false);
        assert.equal((await s().getEndpoint('ep_1'))?.disabledReason, 'every attempt failed for 120 hours');
      });

      it('answers false for an endpoint created disabled', async () => {
        await s().createEndpoint({ id: 'ep_off', secret: SECRET, settings: { url: 'https://off.example.com/', disabled: true } });
        assert.equal(await s().disableEndpoint('ep_off', 'why'), false);
        assert.equal((await s().getEndpoint('ep_off'))?.disabledReason, undefined);
      });

      it('answers false for an unknown endpoint', async () => {
        assert.equal(await s().disableEndpoint('ep_nope', 'why'), false);
        assert.equal(await s().getEndpoint('ep_nope'), undefined);
      });
    });

    describe('noteEndpointOutcome', () => {
      const t1 = new Date('2025-01-31T09:00:00.000Z');
      const t2 = new Date('2025-01-31T10:00:00.000Z');
      const t3 = new Date('2025-02-01T11:00:00.000Z');

      it('remembers when failures began until a success', async () => {
        await s().createEndpoint({ id: 'ep_h', secret: SECRET, settings: { url: 'https://h.example.com/' } });
        assert.deepEqual(await s().noteEndpointOutcome('ep_h', false, t1), { failingSince: t1 });
        assert.deepEqual(await s().noteEndpointOutcome('ep_h', false, t2), { failingSince: t1 });
        assert.deepEqual(await s().noteEndpointOutcome('ep_h', true, t2), {});
        assert.deepEqual(await s().noteEndpointOutcome('ep_h', false, t3), { failingSince: t3 });
      });

      it('answers {} for a success on an endpoint that was healthy', async () => {
        await s().createEndpoint({ id: 'ep_ok', secret: SECRET, settings: { url: 'https://ok.example.com/' } });
        assert.deepEqual(await s().noteEndpointOutcome('ep_ok', true, t1), {});
        assert.deepEqual(await s().noteEndpointOutcome('ep_ok', false, t2), { failingSince: t2 });
      });

      it('keeps track per endpoint', async () => {
        await s().createEndpoint({ id: 'ep_p', secret: SECRET, settings: { url: 'https://p.example.com/' } });
        await s().createEndpoint({ id: 'ep_q', secret: SECRET, settings: { url: 'https://q.example.com/' } });
        await s().noteEndpointOutcome('ep_p', false, t1);
        assert.deepEqual(await s().noteEndpointOutcome('ep_q', false, t2), { failingSince: t2 });
        await s().noteEndpointOutcome('ep_q', true, t3);
        assert.deepEqual(await s().noteEndpointOutcome('ep_p', false, t3), { failingSince: t1 });
      });

      it('answers {} for an unknown endpoint', async () => {
        assert.deepEqual(await s().noteEndpointOutcome('ep_nope', false, t1), {});
        assert.deepEqual(await s().noteEndpointOutcome('ep_nope', true, t1), {});
      });

      it('leaves the endpoint settings alone', async () => {
        await s().createEndpoint({ id: 'ep_s', secret: SECRET, settings: fullSettings });
        const before = await s().getEndpoint('ep_s');
        await s().noteEndpointOutcome('ep_s', false, t1);
        assert.deepEqual(await s().getEndpoint('ep_s'), before);
      });
    });

    describe('attempt log', () => {
      const first = attempt({
        deliveryId: 'dlv_1',
        attempt: 1,
        startedAt: '2025-01-31T09:30:00.000Z',
        durationMs: 15_000,
        failure: 'timeout',
      });
      const second = attempt({
        deliveryId: 'dlv_1',
        attempt: 2,
        startedAt: '2025-01-31T09:30:20.000Z',
        durationMs: 87,
        statusCode: 503,
        failure: 'http',
        responseBody: '{"error":"overloaded"}',
      });
      const third = attempt({
        deliveryId: 'dlv_1',
        attempt: 3,
        target: 'fallback',
        url: 'https://fallback.example.com/calls',
        startedAt: '2025-01-31T09:31:00.000Z',
        durationMs: 42,
        statusCode: 200,
        responseBody: '',
      });

      it('lists attempts oldest first with every field round-tripped', async () => {
        // Recorded out of order on purpose.
        await s().recordAttempt(third);
        await s().recordAttempt(first);
        await s().recordAttempt(second);
        await s().recordAttempt(attempt({ deliveryId: 'dlv_other', attempt: 1, statusCode: 200 }));

        const listed = await s().listAttempts('dlv_1');
        assert.equal(listed.length, 3);
        assert.deepEqual(listed.map((a) => a.attempt), [1, 2, 3]);
        assert.deepEqual(listed[1], second);
        assert.deepEqual({ ...listed[2] }, { ...third, failure: undefined });
        assert.equal(listed[2].responseBody, '', 'an empty body is not lost');
        assert.equal(listed[2].target, 'fallback');
      });

      it('answers undefined for optional fields that were absent', async () => {
        await s().recordAttempt(first);
        const [only] = await s().listAttempts('dlv_1');
        assert.equal(only.deliveryId, 'dlv_1');
        assert.equal(only.attempt, 1);
        assert.equal(only.target, 'primary');
        assert.equal(only.url, first.url);
        assert.equal(only.startedAt, first.startedAt);
        assert.equal(only.durationMs, 15_000);
        assert.equal(only.failure, 'timeout');
        assert.equal(only.statusCode, undefined);
        assert.equal(only.responseBody, undefined);
      });

      it('answers an empty list for a delivery without attempts', async () => {
        assert.deepEqual(await s().listAttempts('dlv_none'), []);
      });

      it('replaces an attempt recorded again under the same number', async () => {
        await s().recordAttempt(first);
        await s().recordAttempt(second);
        const redo = attempt({ deliveryId: 'dlv_1', attempt: 2, startedAt: '2025-01-31T09:30:25.000Z', durationMs: 9, statusCode: 204 });
        await s().recordAttempt(redo);
        const listed = await s().listAttempts('dlv_1');
        assert.equal(listed.length, 2);
        assert.equal(listed[1].statusCode, 204);
        assert.equal(listed[1].durationMs, 9);
        assert.equal(listed[1].failure, undefined, 'the old failure is gone');
        assert.equal(listed[1].responseBody, undefined, 'the old body is gone');
        assert.deepEqual(await s().countAttempts(['dlv_1']), new Map([['dlv_1', 2]]));
      });

      it('counts attempts per delivery', async () => {
        await s().recordAttempt(first);
        await s().recordAttempt(second);
        await s().recordAttempt(third);
        await s().recordAttempt(attempt({ deliveryId: 'dlv_2', attempt: 1 }));
        await s().recordAttempt(attempt({ deliveryId: 'dlv_3', attempt: 1 }));

        const counts = await s().countAttempts(['dlv_1', 'dlv_2', 'dlv_missing']);
        assert.deepEqual(counts, new Map([['dlv_1', 3], ['dlv_2', 1]]));
        assert.equal(counts.has('dlv_missing'), false);
        assert.equal(counts.has('dlv_3'), false, 'only the asked ids');

        const empty = await s().countAttempts([]);
        assert.ok(empty instanceof Map);
        assert.equal(empty.size, 0);
      });

      it('purges only attempts that started before the cut-off', async () => {
        await s().recordAttempt(attempt({ deliveryId: 'dlv_old', attempt: 1, startedAt: '2025-01-01T00:00:00.000Z' }));
        await s().recordAttempt(attempt({ deliveryId: 'dlv_old', attempt: 2, startedAt: '2025-01-01T23:59:59.999Z' }));
        await s().recordAttempt(attempt({ deliveryId: 'dlv_edge', attempt: 1, startedAt: '2025-01-02T00:00:00.000Z' }));
        await s().recordAttempt(attempt({ deliveryId: 'dlv_new', attempt: 1, startedAt: '2025-01-03T12:00:00.000Z' }));

        assert.equal(await s().purgeAttempts(new Date('2025-01-02T00:00:00.000Z')), 2);
        assert.deepEqual(await s().listAttempts('dlv_old'), []);
        assert.equal((await s().listAttempts('dlv_edge')).length, 1, 'an attempt exactly at the cut-off stays');
        assert.equal((await s().listAttempts('dlv_new')).length, 1);
        assert.equal(await s().purgeAttempts(new Date('2025-01-02T00:00:00.000Z')), 0);
        assert.equal(await s().purgeAttempts(new Date('2030-01-01T00:00:00.000Z')), 2);
      });
    });

    describe('persistence and migrations', () => {
      it('keeps everything across close and reopen', async () => {
        const created = await s().createEndpoint({ id: 'ep_keep', secret: SECRET, settings: fullSettings });
        await s().disableEndpoint('ep_keep', 'kept reason');
        await s().recordAttempt(attempt({ deliveryId: 'dlv_keep', attempt: 1, statusCode: 500, failure: 'http' }));
        const t1 = new Date('2025-01-31T09:00:00.000Z');
        await s().noteEndpointOutcome('ep_keep', false, t1);
        const before = await s().getEndpoint('ep_keep');

        const again = await reopen();
        const after = await again.getEndpoint('ep_keep');
        assert.deepEqual(after, before);
        assert.equal(after?.secret, SECRET);
        assert.equal(after?.createdAt, created.createdAt);
        assert.equal(after?.disabledReason, 'kept reason');
        assert.deepEqual(await again.listAttempts('dlv_keep'), [
          attempt({ deliveryId: 'dlv_keep', attempt: 1, statusCode: 500, failure: 'http', responseBody: undefined }),
        ]);
        assert.deepEqual(
          await again.noteEndpointOutcome('ep_keep', false, new Date('2025-02-01T00:00:00.000Z')),
          { failingSince: t1 },
          'failingSince survives',
        );
      });
    });
  });
}
