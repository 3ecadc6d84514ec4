import assert from 'node:assert/strict';
import { keyIdOf } from '../../src/api/auth';
import { createLogger } from '../../src/log';
import { unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { call, eventually, sharedStack, type Stack, apiOn } from '../helpers/stack';
import { listen } from '../helpers/listen';
import { assertError } from '../helpers/apiErrors';

/**
 * API keys with roles, over real HTTP against the shared stack: an `ingest` key may only post
 * events; an `admin` key may do everything; no key or an unknown key is a 401, a key without
 * the role a 403.
 */

describe('API keys with roles', function () {
  this.timeout(60_000);
  const tag = unique('keys');
  const ADMIN = { authorization: 'Bearer adm' };
  const INGEST = { authorization: 'Bearer ing' };
  let stack: Stack;
  let base: string;
  let close: (() => Promise<void>) | undefined;
  let receiver: Receiver | undefined;
  const created: string[] = [];

  const startedCall = (callId: string) => ({
    type: 'call_started',
    data: { callId, direction: 'inbound', from: '+15550100', to: '+15550199', startedAt: '2026-11-29T09:58:00Z', metadata: { test: tag } },
  });

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
    const app = apiOn(stack, {
      apiKeys: [
        { key: 'adm', role: 'admin' },
        { key: 'ing', role: 'ingest' },
      ],
      log: createLogger('error', 'api-keys-test'),
    });
    ({ base, close } = await listen(app));
    receiver = await startReceiver();
  });
  after(async () => {
    for (const id of created) await stack.store.deleteEndpoint(id);
    await close?.();
    await receiver?.close();
  });

  describe('401: no key, or a key that is not configured', () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/events', { type: 'call_started', data: { callId: 'c' } }],
      ['GET', '/v1/endpoints'],
      ['POST', '/v1/endpoints', { url: 'http://127.0.0.1:9/x' }],
      ['GET', '/v1/audit'],
    ];
    for (const [method, path, body] of routes) {
      it(`${method} ${path} without a key`, async () => {
        assertError(await call(base, method, path, body), 401, 'unauthorized', 'Bearer');
      });
      it(`${method} ${path} with an unknown key`, async () => {
        for (const authorization of ['Bearer nope', 'Bearer ad', 'Bearer admx', 'Bearer ingest:ing', 'Basic adm', 'adm']) {
          assertError(await call(base, method, path, body, { authorization }), 401, 'unauthorized');
        }
      });
    }
  });

  describe('an ingest key', () => {
    it('posts events: 202, then 200 for the same id', async () => {
      const id = unique('evt');
      const res = await call(base, 'POST', '/v1/events', { id, ...startedCall(unique('call')) }, INGEST);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.id, id);
      assert.equal(res.body.duplicate, false);
      const again = await call(base, 'POST', '/v1/events', { id, ...startedCall(unique('call')) }, INGEST);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.duplicate, true);
    });

    it('is refused with 403 everywhere else, naming its key id and role, and changes nothing', async () => {
      const posted = await call(base, 'POST', '/v1/events', startedCall(unique('call')), INGEST);
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      const endpointId = unique('ep');
      const deliveryId = `${posted.body.id}~${endpointId}`;
      const refused: Array<[string, string, unknown?]> = [
        ['GET', '/v1/endpoints'],
        ['POST', '/v1/endpoints', { id: endpointId, url: 'http://127.0.0.1:9/x', filter: { 'data.metadata.test': tag } }],
        ['GET', `/v1/endpoints/${endpointId}`],
        ['PATCH', `/v1/endpoints/${endpointId}`, { description: 'x' }],
        ['DELETE', `/v1/endpoints/${endpointId}`],
        ['GET', `/v1/endpoints/${endpointId}/secret`],
        ['POST', `/v1/endpoints/${endpointId}/secret/rotate`, {}],
        ['POST', `/v1/endpoints/${endpointId}/recover`, { since: '2026-01-01T00:00:00Z' }],
        ['GET', '/v1/jobs/job-x'],
        ['GET', '/v1/calls/call-x'],
        ['POST', '/v1/events/x', {}],
        ['GET', `/v1/events/${posted.body.id}`],
        ['GET', '/v1/event-types'],
        ['GET', '/v1/deliveries'],
        ['GET', `/v1/deliveries/${deliveryId}`],
        ['POST', `/v1/deliveries/${deliveryId}/resend`, {}],
        ['POST', `/v1/deliveries/${deliveryId}/discard`, {}],
        ['GET', '/v1/audit'],
      ];
      for (const [method, path, body] of refused) {
        const res = await call(base, method, path, body, INGEST);
        assertError(res, 403, 'forbidden', keyIdOf('ing'), 'ingest', 'admin');
      }
      assert.equal(await stack.store.getEndpoint(endpointId), undefined, 'the refused POST /v1/endpoints created nothing');
    });
  });

  describe('an admin key', () => {
    it('may do everything: endpoints, events, deliveries, resend, audit', async () => {
      const ep = await call(base, 'POST', '/v1/endpoints', { id: unique('ep'), url: receiver!.url, filter: { 'data.metadata.test': tag } }, ADMIN);
      assert.equal(ep.status, 201, JSON.stringify(ep.body));
      created.push(ep.body.id);
      assert.equal((await call(base, 'GET', '/v1/endpoints', undefined, ADMIN)).status, 200);
      assert.equal((await call(base, 'GET', `/v1/endpoints/${ep.body.id}`, undefined, ADMIN)).status, 200);
      assert.equal((await call(base, 'PATCH', `/v1/endpoints/${ep.body.id}`, { description: 'by admin' }, ADMIN)).status, 200);
      assert.equal((await call(base, 'GET', '/v1/event-types', undefined, ADMIN)).status, 200);

      const sent = await call(base, 'POST', '/v1/events', startedCall(unique('call')), ADMIN);
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      const deliveryId = `${sent.body.id}~${ep.body.id}`;
      await eventually(
        async () => (await call(base, 'GET', `/v1/events/${sent.body.id}`, undefined, ADMIN)).body?.status === 'delivered',
        30_000,
        'the event to be delivered',
      );
      const delivery = await call(base, 'GET', `/v1/deliveries/${deliveryId}`, undefined, ADMIN);
      assert.equal(delivery.status, 200, JSON.stringify(delivery.body));
      assert.equal(delivery.body.status, 'delivered');
      assert.equal((await call(base, 'GET', `/v1/deliveries?endpointId=${ep.body.id}`, undefined, ADMIN)).status, 200);

      const resend = await call(base, 'POST', `/v1/deliveries/${deliveryId}/resend`, {}, ADMIN);
      assert.equal(resend.status, 202, JSON.stringify(resend.body));
      await receiver!.waitFor(2, 30_000);

      const audit = await call(base, 'GET', '/v1/audit?limit=5', undefined, ADMIN);
      assert.equal(audit.status, 200, JSON.stringify(audit.body));
      assert.ok(Array.isArray(audit.body.data));

      const deleted = await call(base, 'DELETE', `/v1/endpoints/${ep.body.id}`, undefined, ADMIN);
      assert.equal(deleted.status, 204);
    });
  });
});
