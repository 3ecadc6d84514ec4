import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify as edVerify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../src/domain/verify';
import type { Received } from '../helpers/receiver';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call } from '../helpers/stack';
import { readOutsideProcess } from '../helpers/readOutside';

/** Node's own KeyObject for a `whpk_` key: base64 of the raw 32-byte Ed25519 public key. */
function nodePublicKey(whpk: string): KeyObject {
  assert.match(whpk, /^whpk_[A-Za-z0-9+/]{43}=$/);
  const raw = Buffer.from(whpk.slice('whpk_'.length), 'base64');
  assert.equal(raw.length, 32);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** The `v1a` signatures of a request that Node's crypto.verify accepts with `key`. */
function edVerifiedBy(q: Received, key: KeyObject): number[] {
  const data = Buffer.from(`${q.headers['webhook-id']}.${q.headers['webhook-timestamp']}.${q.body}`, 'utf8');
  return String(q.headers['webhook-signature'])
    .split(' ')
    .flatMap((entry, i) => {
      const [version, sig] = entry.split(',');
      assert.equal(version, 'v1a', entry);
      return edVerify(null, data, key, Buffer.from(sig, 'base64')) ? [i] : [];
    });
}

function verifiesWith(q: Received, secret: string): boolean {
  try {
    new Webhook(secret).verify(q.body, q.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

describe('signing: rotation, ed25519, secrets at rest (real stack)', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, send, waitForDelivery } = kit;
  const api = (method: string, p: string, body?: unknown) => call(kit.stack.api, method, p, body);
  const deliveryOf = (eventId: string, endpointId: string) => `${eventId}~${endpointId}`;

  /** Sends one event and answers the request the receiver got for it. */
  async function deliverOne(r: { requests: Received[]; waitFor(n: number): Promise<Received[]> }, endpointId: string): Promise<Received> {
    const before = r.requests.length;
    const { id } = await send(completedCall(unique('call')));
    await waitForDelivery(deliveryOf(id, endpointId), 'delivered');
    const [got] = (await r.waitFor(before + 1)).slice(before);
    assert.equal(got.headers['webhook-id'], id);
    return got;
  }

  describe('hmac-sha256 rotation', () => {
    it('signs with both secrets during the grace period, and with the new one only after it', async () => {
      const r = await receiver();
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(3) });
      const old = ep.secret;
      const first = await deliverOne(r, ep.id);
      assert.match(String(first.headers['webhook-signature']), /^v1,[^ ]+$/, 'one signature before a rotation');
      assert.ok(verifiesWith(first, old));

      const rotated = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, {});
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.deepEqual(Object.keys(rotated.body).sort(), ['previousSecretExpiresAt', 'secret']);
      const fresh: string = rotated.body.secret;
      assert.match(fresh, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.notEqual(fresh, old);
      const expires = Date.parse(rotated.body.previousSecretExpiresAt);
      assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, 'a day of grace by default');
      assert.deepEqual((await api('GET', `/v1/endpoints/${ep.id}/secret`)).body, { secret: fresh });
      const shown = await api('GET', `/v1/endpoints/${ep.id}`);
      assert.equal(shown.body.previousSecretExpiresAt, rotated.body.previousSecretExpiresAt);
      assert.equal(JSON.stringify(shown.body).includes('whsec_'), false, 'neither secret is shown');

      // During the grace period: `v1,<new> v1,<old>`; standardwebhooks verifies with either.
      const during = await deliverOne(r, ep.id);
      const parts = String(during.headers['webhook-signature']).split(' ');
      assert.equal(parts.length, 2);
      assert.ok(verifiesWith(during, old), 'verifies with the old secret');
      assert.ok(verifiesWith(during, fresh), 'verifies with the new secret');
      assert.ok(verifiesWith({ ...during, headers: { ...during.headers, 'webhook-signature': parts[0] } }, fresh), 'the new one comes first');
      assert.ok(verifiesWith({ ...during, headers: { ...during.headers, 'webhook-signature': parts[1] } }, old));
      assert.deepEqual(verifyWebhook({ payload: during.body, headers: during.headers, secret: old }), JSON.parse(during.body));

      // A second rotation with one second of grace; after it, only the newest secret signs.
      const again = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, { graceSeconds: 1 });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      const newest: string = again.body.secret;
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const after = await deliverOne(r, ep.id);
      assert.match(String(after.headers['webhook-signature']), /^v1,[^ ]+$/, 'one signature after the grace period');
      assert.ok(verifiesWith(after, newest));
      assert.equal(verifiesWith(after, fresh), false, 'the secret whose grace ended no longer verifies');
      assert.equal(verifiesWith(after, old), false);
    });

    it('with graceSeconds 0 the old secret stops at once, and each attempt reads the current secret', async () => {
      let current: string | undefined;
      // Accept only a request signed with the secret issued by the rotation below.
      const r = await receiver((q) => (current && verifiesWith(q, current) ? 200 : 503));
      const ep = await createEndpoint({ url: r.url, retry: fastRetry(40, { initialIntervalMs: 100, maxIntervalMs: 100 }) });
      const { id } = await send(completedCall(unique('call')));
      await r.waitFor(1);
      const rotated = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, { graceSeconds: 0 });
      assert.equal(rotated.status, 200);
      assert.ok(Date.parse(rotated.body.previousSecretExpiresAt) <= Date.now());
      current = rotated.body.secret;
      await waitForDelivery(deliveryOf(id, ep.id), 'delivered');
      const first = r.requests[0];
      const last = r.requests.at(-1)!;
      assert.ok(verifiesWith(first, ep.secret) && !verifiesWith(first, current!), 'retries before the rotation carry the old secret');
      assert.ok(verifiesWith(last, current!) && !verifiesWith(last, ep.secret), 'the retry after it carries only the new one');
      assert.equal(String(last.headers['webhook-signature']).split(' ').length, 1);
      assert.equal(last.headers['webhook-id'], first.headers['webhook-id'], 'same event, same webhook-id');
    });

    it('refuses a bad rotation body, and answers 404 for an unknown endpoint', async () => {
      const ep = await createEndpoint({ url: 'http://127.0.0.1:9/hook' });
      for (const body of [{ graceSeconds: -1 }, { graceSeconds: 1.5 }, { graceSeconds: 'day' }, { graceSeconds: 40 * 86_400 }, { secret: 'whsec_x' }]) {
        const res = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'invalid_request');
      }
      assert.deepEqual((await api('GET', `/v1/endpoints/${ep.id}/secret`)).body, { secret: ep.secret }, 'a refused rotation changed nothing');
      const missing = await api('POST', `/v1/endpoints/${unique('nope')}/secret/rotate`, {});
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });
  });

  describe('ed25519 (v1a)', () => {
    it('signs with v1a, verified by Node with the key from /public-key, and rotates to two v1a signatures', async () => {
      const r = await receiver();
      const ep = (await createEndpoint({ url: r.url, signing: 'ed25519', retry: fastRetry(3) })) as { id: string; secret: string; publicKey?: string; signing?: string };
      assert.match(ep.secret, /^whsk_[A-Za-z0-9+/]{43}=$/);
      assert.equal(ep.signing, 'ed25519');
      const pk = await api('GET', `/v1/endpoints/${ep.id}/public-key`);
      assert.equal(pk.status, 200);
      assert.deepEqual(Object.keys(pk.body), ['publicKey']);
      assert.equal(ep.publicKey, pk.body.publicKey, 'the create answer carries the public key too');
      const oldKey = nodePublicKey(pk.body.publicKey);

      const got = await deliverOne(r, ep.id);
      assert.match(String(got.headers['webhook-signature']), /^v1a,[A-Za-z0-9+/]{86}==$/);
      assert.deepEqual(edVerifiedBy(got, oldKey), [0]);
      assert.deepEqual(verifyWebhook({ payload: got.body, headers: got.headers, publicKey: pk.body.publicKey }), JSON.parse(got.body));
      // A changed byte fails with Node's verify.
      assert.deepEqual(edVerifiedBy({ ...got, body: got.body.replace('qualified', 'qualifiex') }, oldKey), []);

      const rotated = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, { graceSeconds: 600 });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.match(rotated.body.secret, /^whsk_/);
      const keys = await api('GET', `/v1/endpoints/${ep.id}/public-key`);
      assert.equal(keys.body.publicKey, rotated.body.publicKey);
      assert.equal(keys.body.previousPublicKey, pk.body.publicKey);
      assert.equal(keys.body.previousPublicKeyExpiresAt, rotated.body.previousSecretExpiresAt);
      const newKey = nodePublicKey(keys.body.publicKey);

      const during = await deliverOne(r, ep.id);
      assert.match(String(during.headers['webhook-signature']), /^v1a,\S+ v1a,\S+$/);
      assert.deepEqual(edVerifiedBy(during, newKey), [0], 'the new key verifies the first signature');
      assert.deepEqual(edVerifiedBy(during, oldKey), [1], 'the old key verifies the second');
      for (const publicKey of [pk.body.publicKey, keys.body.publicKey]) {
        assert.deepEqual(verifyWebhook({ payload: during.body, headers: during.headers, publicKey }), JSON.parse(during.body));
      }
      // Not an hmac signature: a Standard Webhooks v1 verifier finds nothing to check.
      assert.equal(verifiesWith(during, `whsec_${Buffer.alloc(32, 1).toString('base64')}`), false);
    });

    it('takes a whsk_ secret of your own and derives its public key', async () => {
      // A key pair made by Node: the secret is its raw private key, the expected answer its public key.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const secret = `whsk_${Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64')}`;
      const ep = await createEndpoint({ url: 'http://127.0.0.1:9/hook', signing: 'ed25519', secret });
      assert.equal(ep.secret, secret);
      const pk = await api('GET', `/v1/endpoints/${ep.id}/public-key`);
      assert.equal(pk.body.publicKey, `whpk_${Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64')}`);
    });

    it('refuses a secret of the other scheme, an unknown scheme, and changing the scheme by PATCH', async () => {
      const whsec = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const whsk = `whsk_${Buffer.alloc(32, 7).toString('base64')}`;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ signing: 'ed25519', secret: whsec }, /secret: .*whsec_.*hmac-sha256.*whsk_/],
        [{ secret: whsk }, /secret: .*whsk_.*ed25519/],
        [{ signing: 'hmac-sha256', secret: whsk }, /secret: /],
        [{ signing: 'ed25519', secret: 'whsk_' + Buffer.alloc(16).toString('base64') }, /secret: .*32-byte/],
        [{ signing: 'rsa' }, /signing: /],
      ];
      for (const [extra, message] of cases) {
        const res = await api('POST', '/v1/endpoints', { url: 'http://127.0.0.1:9/hook', ...extra });
        assert.equal(res.status, 400, JSON.stringify(extra));
        assert.match(res.body.error.message, message);
      }
      const ep = await createEndpoint({ url: 'http://127.0.0.1:9/hook' });
      const patched = await api('PATCH', `/v1/endpoints/${ep.id}`, { signing: 'ed25519' });
      assert.equal(patched.status, 400);
      assert.match(patched.body.error.message, /signing/);
      assert.equal((await api('GET', `/v1/endpoints/${ep.id}`)).body.signing, 'hmac-sha256');
    });
  });

  describe('GET /v1/endpoints/:id/public-key', () => {
    it('answers 409 with the reason for an hmac endpoint, and 404 for an unknown one', async () => {
      const ep = await createEndpoint({ url: 'http://127.0.0.1:9/hook' });
      const res = await api('GET', `/v1/endpoints/${ep.id}/public-key`);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'no_public_key');
      assert.match(res.body.error.message, /hmac-sha256/);
      assert.match(res.body.error.message, /"signing": "ed25519"/);
      const missing = await api('GET', `/v1/endpoints/${unique('nope')}/public-key`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });
  });

  describe('at rest', () => {
    it('keeps the secrets and the auth token out of the service database files, and still delivers with them', async () => {
      const r = await receiver();
      const token = `tok-${unique('at-rest')}`;
      const ep = await createEndpoint({ url: r.url, auth: { type: 'bearer', token }, retry: fastRetry(3) });
      const rotated = await api('POST', `/v1/endpoints/${ep.id}/secret/rotate`, { graceSeconds: 600 });
      const got = await deliverOne(r, ep.id);
      assert.equal(got.headers.authorization, `Bearer ${token}`);
      assert.ok(verifiesWith(got, rotated.body.secret) && verifiesWith(got, ep.secret));

      const dir = kit.stack.dataDir;
      // The raw files as they are: the main file, the WAL and the shared memory, read from another
      // process so this one keeps its SQLite locks.
      // A checkpoint moving a page between reading one file and the next can hide it once: read again.
      const snapshot = () =>
        Buffer.concat(
          fs
            .readdirSync(dir)
            .filter((f) => f.startsWith('callbacks.sqlite'))
            .map((f) => readOutsideProcess(path.join(dir, f)) ?? Buffer.alloc(0)),
        );
      let bytes = snapshot();
      for (let i = 0; i < 20 && !bytes.includes(Buffer.from(ep.id)); i++) {
        await new Promise((res) => setTimeout(res, 100));
        bytes = snapshot();
      }
      assert.ok(bytes.includes(Buffer.from(ep.id)), 'the endpoint is in these files');
      assert.ok(await kit.stack.store.getEndpoint(ep.id), 'the endpoint is stored');
      for (const value of [ep.secret, rotated.body.secret, ep.secret.slice(6), rotated.body.secret.slice(6), token]) {
        assert.equal(bytes.includes(Buffer.from(value)), false, `${value} is readable on disk`);
      }
    });
  });
});
