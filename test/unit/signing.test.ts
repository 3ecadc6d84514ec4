import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateSecret, secretSchema, sign, signatureHeaders } from '../../src/domain/signing';

/** The secret of the Standard Webhooks spec's published example (24 bytes of key). */
const specSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function secretOf(bytes: number, fill = 0x5a): string {
  return 'whsec_' + Buffer.alloc(bytes, fill).toString('base64');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Asserts that verification fails on the signature itself (not on missing headers or a stale timestamp). */
function assertBadSignature(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WebhookVerificationError, `expected WebhookVerificationError, got ${String(err)}`);
    assert.match((err as Error).message, /No matching signature/);
    return true;
  });
}

describe('signing', () => {
  const secret = generateSecret();
  const msgId = 'evt_0123abcd~ep-receiver';
  const body = JSON.stringify({ type: 'call_completed', data: { callId: 'call_1', text: 'héllo ✓' } });

  describe('sign', () => {
    it('produces a v1 signature that the standardwebhooks package verifies', () => {
      const ts = nowSeconds();
      const signature = sign(secret, msgId, ts, body);
      assert.match(signature, /^v1,[A-Za-z0-9+/]{43}=$/);
      const payload = new Webhook(secret).verify(body, {
        'webhook-id': msgId,
        'webhook-timestamp': String(ts),
        'webhook-signature': signature,
      });
      assert.deepEqual(payload, JSON.parse(body));
    });

    it('matches the standardwebhooks package signature byte for byte', () => {
      const ts = 1_700_000_123;
      assert.equal(sign(secret, msgId, ts, body), new Webhook(secret).sign(msgId, new Date(ts * 1000), body));
    });

    it('matches the known test vector of the Standard Webhooks spec', () => {
      const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
      const ts = 1614265330;
      const payload = '{"test": 2432232314}';
      // Independent computation: HMAC-SHA256 over `${id}.${timestamp}.${body}` with the base64-decoded key.
      const key = Buffer.from(specSecret.slice('whsec_'.length), 'base64');
      assert.equal(key.length, 24);
      const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${payload}`).digest('base64');
      assert.equal(sign(specSecret, id, ts, payload), expected);
      // The value published with the spec's reference libraries.
      assert.equal(sign(specSecret, id, ts, payload), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    });

    it('matches an independent HMAC for a generated secret and a non-ASCII body', () => {
      const ts = 1_234_567_890;
      const key = Buffer.from(secret.slice(6), 'base64');
      assert.equal(key.length, 32);
      const expected = createHmac('sha256', key).update(Buffer.from(`${msgId}.${ts}.${body}`, 'utf8')).digest('base64');
      assert.equal(sign(secret, msgId, ts, body), `v1,${expected}`);
    });

    it('depends on every input', () => {
      const base = sign(secret, msgId, 1000, body);
      assert.notEqual(sign(generateSecret(), msgId, 1000, body), base);
      assert.notEqual(sign(secret, msgId + 'x', 1000, body), base);
      assert.notEqual(sign(secret, msgId, 1001, body), base);
      assert.notEqual(sign(secret, msgId, 1000, body + ' '), base);
    });
  });

  describe('signatureHeaders', () => {
    it('returns the three Standard Webhooks headers, which verify', () => {
      const headers = signatureHeaders(secret, msgId, body);
      assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
      assert.equal(headers['webhook-id'], msgId);
      assert.match(headers['webhook-timestamp'], /^\d+$/);
      assert.ok(Math.abs(Number(headers['webhook-timestamp']) - nowSeconds()) <= 2);
      assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    });

    it('uses whole seconds of the given time as the timestamp', () => {
      const now = new Date('2025-01-31T09:30:00.999Z');
      const headers = signatureHeaders(secret, msgId, body, now);
      assert.equal(headers['webhook-timestamp'], String(Math.floor(now.getTime() / 1000)));
      assert.equal(headers['webhook-signature'], sign(secret, msgId, Math.floor(now.getTime() / 1000), body));
    });

    it('fails verification when one byte of the body changes', () => {
      const headers = signatureHeaders(secret, msgId, body);
      const wh = new Webhook(secret);
      const tampered = Buffer.from(body, 'utf8');
      tampered[10] ^= 0x01;
      assert.notEqual(tampered.toString('utf8'), body);
      assertBadSignature(() => wh.verify(tampered.toString('utf8'), headers));
      assertBadSignature(() => wh.verify(body + ' ', headers));
      assertBadSignature(() => wh.verify(body.slice(0, -1), headers));
    });

    it('fails verification when the id changes', () => {
      const headers = signatureHeaders(secret, msgId, body);
      const wh = new Webhook(secret);
      const id = msgId.slice(0, -1) + (msgId.endsWith('r') ? 's' : 'r');
      assertBadSignature(() => wh.verify(body, { ...headers, 'webhook-id': id }));
    });

    it('fails verification when the timestamp changes (still within tolerance)', () => {
      const headers = signatureHeaders(secret, msgId, body);
      const wh = new Webhook(secret);
      const ts = Number(headers['webhook-timestamp']);
      assertBadSignature(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts - 1) }));
      assertBadSignature(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts + 1) }));
    });

    it('fails verification with a wrong secret', () => {
      const headers = signatureHeaders(secret, msgId, body);
      assertBadSignature(() => new Webhook(generateSecret()).verify(body, headers));
      // A secret differing in a single key byte.
      const key = Buffer.from(secret.slice(6), 'base64');
      key[0] ^= 0x01;
      assertBadSignature(() => new Webhook('whsec_' + key.toString('base64')).verify(body, headers));
    });
  });

  describe('generateSecret', () => {
    it('yields whsec_ followed by 32 random bytes in base64', () => {
      const s = generateSecret();
      assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const key = Buffer.from(s.slice(6), 'base64');
      assert.equal(key.length, 32);
      assert.equal(key.toString('base64'), s.slice(6));
    });

    it('differs on each call', () => {
      const seen = new Set(Array.from({ length: 50 }, () => generateSecret()));
      assert.equal(seen.size, 50);
    });
  });

  describe('secretSchema', () => {
    it('accepts generated secrets and the spec example', () => {
      for (let i = 0; i < 20; i++) {
        const s = generateSecret();
        assert.equal(secretSchema.safeParse(s).success, true, s);
      }
      assert.equal(secretSchema.safeParse(specSecret).success, true);
    });

    it('accepts 24 and 64 bytes of key, the bounds', () => {
      assert.equal(secretSchema.safeParse(secretOf(24)).success, true);
      assert.equal(secretSchema.safeParse(secretOf(64)).success, true);
      assert.equal(secretSchema.safeParse(secretOf(25)).success, true);
      assert.equal(secretSchema.safeParse(secretOf(63)).success, true);
    });

    it('refuses keys shorter than 24 bytes', () => {
      assert.equal(secretSchema.safeParse(secretOf(23)).success, false);
      assert.equal(secretSchema.safeParse(secretOf(16)).success, false);
      assert.equal(secretSchema.safeParse(secretOf(1)).success, false);
    });

    it('refuses keys longer than 64 bytes', () => {
      assert.equal(secretSchema.safeParse(secretOf(65)).success, false);
      assert.equal(secretSchema.safeParse(secretOf(128)).success, false);
    });

    it('refuses a missing or wrong prefix', () => {
      const key = generateSecret().slice(6);
      for (const s of [key, `whsec${key}`, `WHSEC_${key}`, `whsk_${key}`, `sk_${key}`, ` whsec_${key}`, `xwhsec_${key}`]) {
        assert.equal(secretSchema.safeParse(s).success, false, s);
      }
    });

    it('refuses key material that is not base64', () => {
      const key = generateSecret().slice(6);
      for (const s of [
        'whsec_',
        `whsec_${key.slice(0, 10)}!${key.slice(11)}`,
        `whsec_${key.slice(0, 10)} ${key.slice(11)}`,
        `whsec_${key}\n`,
        `whsec_${key.replace(/=$/, '')}===`,
        `whsec_=${key}`,
        'whsec_' + Buffer.alloc(32, 0xfb).toString('base64url'),
        'whsec_' + 'é'.repeat(40),
      ]) {
        assert.equal(secretSchema.safeParse(s).success, false, JSON.stringify(s));
      }
    });

    it('refuses non-strings', () => {
      for (const v of [undefined, null, 42, { secret: generateSecret() }]) {
        assert.equal(secretSchema.safeParse(v).success, false);
      }
    });
  });
});
