import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyIdOf } from '../../src/api/auth';
import { createLogger } from '../../src/log';
import { fastRetry, unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { call, eventually, sharedStack, type Stack, apiOn } from '../helpers/stack';

/**
 * The audit log over real HTTP against the shared stack: every management action is recorded
 * with the id of the key that made it, newest first, and no record holds a secret or a payload.
 */

describe('audit log of management actions', function () {
  this.timeout(90_000);
  const tag = unique('audit');
  const KEYS = { alice: 'alice-admin-key', bob: 'bob-admin-key', producer: 'producer-key' };
  const as = (who: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[who]}` });
  let stack: Stack;
  let base: string;
  let server: http.Server | undefined;
  const receivers: Receiver[] = [];

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
    const app = apiOn(stack, {
      apiKeys: [
        { key: KEYS.alice, role: 'admin' },
        { key: KEYS.bob, role: 'admin' },
        { key: KEYS.producer, role: 'ingest' },
      ],
      log: createLogger('error', 'audit-test'),
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const api = (who: keyof typeof KEYS, method: string, path: string, body?: unknown) => call(base, method, path, body, as(who));

  async function waitForDelivery(id: string, check: (d: any) => boolean, what: string) {
    return eventually(
      async () => {
        const res = await api('alice', 'GET', `/v1/deliveries/${id}`);
        return res.status === 200 && check(res.body) ? res.body : undefined;
      },
      30_000,
      what,
    );
  }

  /** Every record of this test's targets, newest first, read through the API page by page. */
  async function records(targets: Set<string>) {
    const found: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res: Awaited<ReturnType<typeof call>> = await api('alice', 'GET', `/v1/audit?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      found.push(...res.body.data.filter((r: { target: string }) => targets.has(r.target)));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    return found;
  }

  it('records create, update, rotation, resend, discard, recover and delete with the key that made them, newest first, and no secrets', async () => {
    const failing = await startReceiver(() => 500);
    const other = await startReceiver(() => 500);
    receivers.push(failing, other);
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const token = 'tok-super-secret-auth-value';
    const newToken = 'tok-rotated-header-value';
    const queryToken = 'query-secret-in-url';

    // alice creates an endpoint with its own secret and auth.
    const endpointId = unique('ep');
    const created = await api('alice', 'POST', '/v1/endpoints', {
      id: endpointId,
      url: `${failing.url}?key=${queryToken}`,
      filter: { 'data.metadata.test': tag },
      retry: fastRetry(1),
      auth: { type: 'bearer', token },
      secret,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // bob changes its description and its credential.
    const patched = await api('bob', 'PATCH', `/v1/endpoints/${endpointId}`, { description: 'CRM', auth: { type: 'header', name: 'x-api-key', value: newToken } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    // alice rotates its secret.
    const rotated = await api('alice', 'POST', `/v1/endpoints/${endpointId}/secret/rotate`, { graceSeconds: 0 });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.ok(typeof rotated.body.secret === 'string' && rotated.body.secret !== secret, JSON.stringify(rotated.body));

    // An event that fails and waits for review.
    const summary = 'payload-summary-that-must-not-be-audited';
    const sent = await api('producer', 'POST', '/v1/events', {
      type: 'call_completed',
      data: {
        callId: unique('call'),
        startedAt: '2026-11-29T09:58:00Z',
        endedAt: '2026-11-29T10:00:00Z',
        durationMs: 120000,
        endedReason: 'caller_hangup',
        disposition: 'qualified',
        summary,
        metadata: { test: tag },
      },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const deliveryId = `${sent.body.id}~${endpointId}`;
    await waitForDelivery(deliveryId, (d) => d.status === 'awaiting_review', 'review');

    // bob resends to a one-off url (which fails too); alice discards.
    const resent = await api('bob', 'POST', `/v1/deliveries/${deliveryId}/resend`, { url: `${other.url}?token=${queryToken}` });
    assert.equal(resent.status, 202, JSON.stringify(resent.body));
    await waitForDelivery(deliveryId, (d) => d.status === 'awaiting_review' && d.attempts.length === 2, 'the resend to fail');
    const discarded = await api('alice', 'POST', `/v1/deliveries/${deliveryId}/discard`, {});
    assert.equal(discarded.status, 202, JSON.stringify(discarded.body));

    // bob starts a recovery, alice deletes the endpoint.
    const since = new Date(Date.now() - 60_000).toISOString();
    const recovered = await api('bob', 'POST', `/v1/endpoints/${endpointId}/recover`, { since });
    assert.equal(recovered.status, 202, JSON.stringify(recovered.body));
    assert.equal((await api('alice', 'DELETE', `/v1/endpoints/${endpointId}`)).status, 204);

    // Refused actions are not recorded: an ingest key, and an unknown endpoint.
    assert.equal((await api('producer', 'DELETE', `/v1/endpoints/${endpointId}`)).status, 403);
    assert.equal((await api('alice', 'DELETE', `/v1/endpoints/${endpointId}`)).status, 404);

    const found = await records(new Set([endpointId, deliveryId]));
    const alice = keyIdOf(KEYS.alice);
    const bob = keyIdOf(KEYS.bob);
    assert.match(alice, /^[0-9a-f]{8}$/);
    assert.notEqual(alice, bob);
    assert.deepEqual(
      found.map((r) => [r.action, r.target, r.keyId]),
      [
        ['endpoint.delete', endpointId, alice],
        ['endpoint.recover', endpointId, bob],
        ['delivery.discard', deliveryId, alice],
        ['delivery.resend', deliveryId, bob],
        ['endpoint.secret.rotate', endpointId, alice],
        ['endpoint.update', endpointId, bob],
        ['endpoint.create', endpointId, alice],
      ],
    );
    for (const r of found) {
      assert.equal(typeof r.id, 'number');
      assert.ok(Object.keys(r).every((k) => ['id', 'at', 'keyId', 'action', 'target', 'details'].includes(k)), JSON.stringify(r));
      assert.ok(!Number.isNaN(Date.parse(r.at)), r.at);
    }
    const ids = found.map((r) => r.id);
    assert.deepEqual([...ids].sort((a, b) => b - a), ids, 'newest first');
    const ats = found.map((r) => Date.parse(r.at));
    assert.deepEqual([...ats].sort((a, b) => b - a), ats, 'times descend too');

    const byAction = Object.fromEntries(found.map((r) => [r.action, r]));
    assert.deepEqual(byAction['endpoint.update'].details.fields.sort(), ['auth', 'description']);
    assert.equal(byAction['endpoint.create'].details.url, new URL(failing.url).origin);
    assert.deepEqual(byAction['delivery.resend'].details, { mode: 'continued', url: new URL(other.url).origin });
    assert.equal(byAction['endpoint.recover'].details.jobId, recovered.body.jobId);
    assert.equal(byAction['endpoint.recover'].details.since, since);
    assert.deepEqual(byAction['endpoint.secret.rotate'].details, { graceSeconds: 0 });

    const text = JSON.stringify(found);
    for (const forbidden of [secret, secret.slice(6), rotated.body.secret, rotated.body.secret.slice(6), token, newToken, queryToken, summary, KEYS.alice, KEYS.bob]) {
      assert.ok(!text.includes(forbidden), `an audit record holds ${forbidden}: ${text}`);
    }
  });

  it('pages with limit and cursor without repeating a record, and refuses a bad cursor and an ingest key', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = unique('ep');
      ids.push(id);
      const res = await api('alice', 'POST', '/v1/endpoints', { id, url: 'http://127.0.0.1:9/x', filter: { 'data.metadata.test': tag } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const first = await api('alice', 'GET', '/v1/audit?limit=2');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.data.length, 2);
    assert.equal(typeof first.body.nextCursor, 'string');
    const second = await api('alice', 'GET', `/v1/audit?limit=2&cursor=${first.body.nextCursor}`);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const targets = [...first.body.data, ...second.body.data].map((r: { target: string }) => r.target);
    assert.deepEqual(targets.slice(0, 3), [ids[2], ids[1], ids[0]]);
    const all = [...first.body.data, ...second.body.data].map((r: { id: number }) => r.id);
    assert.equal(new Set(all).size, all.length);
    assert.ok(second.body.data.every((r: { id: number }) => r.id < first.body.data[1].id));

    for (const q of ['cursor=abc', 'cursor=-1', 'limit=0', 'limit=101', 'colour=blue']) {
      const res = await api('alice', 'GET', `/v1/audit?${q}`);
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    assert.equal((await api('producer', 'GET', '/v1/audit')).status, 403);
    for (const id of ids) await stack.store.deleteEndpoint(id);
  });
});
