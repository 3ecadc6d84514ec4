import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  ed25519SecretSchema,
  generateSecret,
  publicKeyOf,
  secretProblem,
  signatureHeaders,
} from '../../src/domain/signing';
import { isWebhookVerificationError, verifyWebhook, type VerificationFailure } from '../../src/domain/verify';
import { CallbackEventsError } from '../../src/errors';

/** An Ed25519 key pair made by Node alone, in the package's text forms. */
function independentKeyPair(): { secret: string; publicKey: string; privateKey: KeyObject; publicKeyObject: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = privateKey.export({ format: 'jwk' }).d!;
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    secret: 'whsk_' + Buffer.from(d, 'base64url').toString('base64'),
    publicKey: 'whpk_' + Buffer.from(x, 'base64url').toString('base64'),
    privateKey,
    publicKeyObject: publicKey,
  };
}

function assertRefused(fn: () => unknown, reason: VerificationFailure, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isWebhookVerificationError(err), `expected a webhook_unverified CallbackEventsError, got ${String(err)}`);
    assert.ok(err instanceof CallbackEventsError);
    assert.equal(err.details.reason, reason, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('verifyWebhook', () => {
  const msgId = 'evt_42';
  const body = JSON.stringify({ id: msgId, type: 'call_completed', timestamp: '2026-11-29T10:00:05Z', data: { callId: 'c-1', note: 'héllo ✓' } });
  const parsed = JSON.parse(body);

  describe('v1 (hmac-sha256)', () => {
    const secret = generateSecret();

    it('accepts what the service signs, from a string, a Buffer, fetch Headers and any header case', () => {
      const headers = signatureHeaders(secret, msgId, body);
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret }), parsed);
      assert.deepEqual(verifyWebhook({ payload: Buffer.from(body), headers, secret }), parsed);
      assert.deepEqual(verifyWebhook({ payload: body, headers: new Headers(headers), secret }), parsed);
      const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
      assert.deepEqual(verifyWebhook({ payload: body, headers: upper, secret }), parsed);
    });

    it('interoperates with the standardwebhooks package both ways', () => {
      const wh = new Webhook(secret);
      const ts = Math.floor(Date.now() / 1000);
      const theirs = { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': wh.sign(msgId, new Date(ts * 1000), body) };
      assert.deepEqual(verifyWebhook({ payload: body, headers: theirs, secret }), parsed);
      assert.deepEqual(wh.verify(body, signatureHeaders(secret, msgId, body)), parsed);
    });

    it('matches an independent HMAC', () => {
      const ts = Math.floor(Date.now() / 1000);
      const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${msgId}.${ts}.${body}`).digest('base64');
      const headers = { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${mac}` };
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret }), parsed);
    });

    it('refuses a changed byte, a changed id, a wrong secret', () => {
      const headers = signatureHeaders(secret, msgId, body);
      const tampered = Buffer.from(body);
      tampered[12] ^= 0x01;
      assertRefused(() => verifyWebhook({ payload: tampered, headers, secret }), 'no_matching_signature', /No matching signature/);
      assertRefused(() => verifyWebhook({ payload: body + ' ', headers, secret }), 'no_matching_signature');
      assertRefused(() => verifyWebhook({ payload: body, headers: { ...headers, 'webhook-id': 'evt_43' }, secret }), 'no_matching_signature');
      assertRefused(() => verifyWebhook({ payload: body, headers, secret: generateSecret() }), 'no_matching_signature');
      assertRefused(() => verifyWebhook({ payload: body, headers, publicKey: independentKeyPair().publicKey }), 'no_matching_signature', /v1a/);
    });
  });

  describe('v1a (ed25519)', () => {
    const pair = independentKeyPair();

    it('derives the same public key as Node from the whsk_ seed', () => {
      assert.equal(publicKeyOf(pair.secret), pair.publicKey);
      assert.match(pair.publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
    });

    it('accepts what the service signs, and an independent Node signature', () => {
      const headers = signatureHeaders(pair.secret, msgId, body);
      assert.match(headers['webhook-signature'], /^v1a,[A-Za-z0-9+/]{86}==$/);
      assert.deepEqual(verifyWebhook({ payload: body, headers, publicKey: pair.publicKey }), parsed);

      const ts = headers['webhook-timestamp'];
      const sig = edSign(null, Buffer.from(`${msgId}.${ts}.${body}`), pair.privateKey).toString('base64');
      assert.equal(`v1a,${sig}`, headers['webhook-signature'], 'Ed25519 is deterministic: the same bytes as Node');
      assert.deepEqual(verifyWebhook({ payload: body, headers: { ...headers, 'webhook-signature': `v1a,${sig}` }, publicKey: pair.publicKey }), parsed);
    });

    it('refuses a changed byte and a wrong public key', () => {
      const headers = signatureHeaders(pair.secret, msgId, body);
      assertRefused(() => verifyWebhook({ payload: body.replace('c-1', 'c-2'), headers, publicKey: pair.publicKey }), 'no_matching_signature');
      assertRefused(() => verifyWebhook({ payload: body, headers, publicKey: independentKeyPair().publicKey }), 'no_matching_signature');
      // A v1a-only header does not verify with a shared secret.
      assertRefused(() => verifyWebhook({ payload: body, headers, secret: generateSecret() }), 'no_matching_signature', /v1 signature/);
    });

    it('refuses a private key given where the public one belongs, and malformed keys', () => {
      const headers = signatureHeaders(pair.secret, msgId, body);
      assertRefused(() => verifyWebhook({ payload: body, headers, secret: pair.secret }), 'invalid_key', /public key/);
      assertRefused(() => verifyWebhook({ payload: body, headers, publicKey: pair.secret }), 'invalid_key', /whpk_/);
      assertRefused(() => verifyWebhook({ payload: body, headers, publicKey: 'whpk_' + Buffer.alloc(16).toString('base64') }), 'invalid_key');
      assertRefused(() => verifyWebhook({ payload: body, headers }), 'missing_key');
    });
  });

  describe('several signatures (a rotation in grace)', () => {
    it('signs with each secret, current first, and either one verifies', () => {
      const [current, previous] = [generateSecret(), generateSecret()];
      const headers = signatureHeaders([current, previous], msgId, body);
      const parts = headers['webhook-signature'].split(' ');
      assert.equal(parts.length, 2);
      assert.deepEqual(parts, [signatureHeaders(current, msgId, body, new Date(Number(headers['webhook-timestamp']) * 1000))['webhook-signature'], parts[1]]);
      for (const secret of [current, previous]) {
        assert.deepEqual(new Webhook(secret).verify(body, headers), parsed);
        assert.deepEqual(verifyWebhook({ payload: body, headers, secret }), parsed);
      }
      assertRefused(() => verifyWebhook({ payload: body, headers, secret: generateSecret() }), 'no_matching_signature');

      const [a, b] = [independentKeyPair(), independentKeyPair()];
      const ed = signatureHeaders([a.secret, b.secret], msgId, body);
      assert.match(ed['webhook-signature'], /^v1a,\S+ v1a,\S+$/);
      for (const { publicKey } of [a, b]) assert.deepEqual(verifyWebhook({ payload: body, headers: ed, publicKey }), parsed);
    });

    it('skips entries it cannot use and still finds the good one', () => {
      const secret = generateSecret();
      const good = signatureHeaders(secret, msgId, body);
      const headers = { ...good, 'webhook-signature': `v2,abc v1,${Buffer.alloc(32).toString('base64')} garbage v1a,xyz ${good['webhook-signature']}` };
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret }), parsed);
    });
  });

  describe('timestamps and headers', () => {
    const secret = generateSecret();
    const at = new Date('2026-11-29T10:00:00Z');
    const headers = signatureHeaders(secret, msgId, body, at);
    const later = (s: number) => new Date(at.getTime() + s * 1000);

    it('accepts up to the tolerance either way, and refuses beyond it', () => {
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret, now: later(300) }), parsed);
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret, now: later(-300) }), parsed);
      assertRefused(() => verifyWebhook({ payload: body, headers, secret, now: later(301) }), 'timestamp_too_old', /301 s old/);
      assertRefused(() => verifyWebhook({ payload: body, headers, secret, now: later(-301) }), 'timestamp_in_future', /301 s in the future/);
      assert.deepEqual(verifyWebhook({ payload: body, headers, secret, now: later(3600), toleranceSeconds: 3600 }), parsed);
      assertRefused(() => verifyWebhook({ payload: body, headers, secret, now: later(31), toleranceSeconds: 30 }), 'timestamp_too_old');
    });

    it('refuses a stale timestamp against the real clock by default', () => {
      const stale = signatureHeaders(secret, msgId, body, new Date(Date.now() - 3_600_000));
      assertRefused(() => verifyWebhook({ payload: body, headers: stale, secret }), 'timestamp_too_old');
    });

    it('names missing headers, and refuses a timestamp that is not unix seconds', () => {
      const { 'webhook-signature': _s, 'webhook-id': _i, ...rest } = headers;
      assertRefused(() => verifyWebhook({ payload: body, headers: rest, secret, now: at }), 'missing_headers', /webhook-id, webhook-signature/);
      assertRefused(() => verifyWebhook({ payload: body, headers: { ...headers, 'webhook-timestamp': '2026-11-29' }, secret, now: at }), 'invalid_timestamp');
    });

    it('refuses a payload that is not JSON even when signed', () => {
      const text = 'not json';
      assertRefused(() => verifyWebhook({ payload: text, headers: signatureHeaders(secret, msgId, text, at), secret, now: at }), 'invalid_payload');
    });
  });

  describe('secrets by scheme', () => {
    it('generates whsk_ secrets of 32 bytes for ed25519, and checks a secret against its scheme', () => {
      const ed = generateSecret('ed25519');
      assert.match(ed, /^whsk_[A-Za-z0-9+/]{43}=$/);
      assert.equal(ed25519SecretSchema.safeParse(ed).success, true);
      assert.equal(secretProblem(ed, 'ed25519'), undefined);
      assert.equal(secretProblem(generateSecret(), 'hmac-sha256'), undefined);
      assert.match(secretProblem(generateSecret(), 'ed25519')!, /"whsec_" secret is for hmac-sha256/);
      assert.match(secretProblem(ed, 'hmac-sha256')!, /"whsk_" secret is for ed25519/);
      assert.match(secretProblem('whsk_' + Buffer.alloc(31).toString('base64'), 'ed25519')!, /32-byte/);
      assert.match(secretProblem('nope', 'ed25519')!, /whsk_/);
    });
  });

  it('is the package entry: require("callback-events") gives it', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = require('callback-events') as typeof import('../../src/index');
    assert.equal(entry.verifyWebhook, verifyWebhook);
    assert.equal(entry.isWebhookVerificationError, isWebhookVerificationError);
    assert.equal(entry.CallbackEventsError, CallbackEventsError);
  });
});
