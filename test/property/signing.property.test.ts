/**
 * Property tests for src/domain/signing.ts and src/domain/verify.ts: headers made by `signatureHeaders`
 * verify with the independent `standardwebhooks` package and with `verifyWebhook`, and stop
 * verifying once one character or byte of the body, the id or the timestamp changes.
 * Ed25519 (`v1a`) is checked with `verifyWebhook` and with node:crypto directly (the
 * `standardwebhooks` JS package only knows `v1`).
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateSecret, publicKeyOf, secretSchema, sign, signatureHeaders } from '../../src/domain/signing';
import { isWebhookVerificationError, verifyWebhook } from '../../src/domain/verify';

const RUNS = 300;

// ---- generators ----

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'.split('');
/** Standard Webhooks msg-id-like: an optional prefix and url-safe characters. */
const idArb = fc
  .tuple(fc.constantFrom('msg_', 'evt_', 'dlv_', ''), fc.stringOf(fc.constantFrom(...ID_CHARS), { minLength: 1, maxLength: 40 }))
  .map(([prefix, rest]) => prefix + rest);
/** Arbitrary unicode (whole code points, so every string is well-formed UTF-16). */
const bodyArb = fc.oneof(fc.fullUnicodeString({ maxLength: 200 }), fc.json());
const hmacSecretArb = fc.oneof(
  fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`),
  fc.constant(null).map(() => generateSecret()),
);
const edSecretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((seed) => `whsk_${Buffer.from(seed).toString('base64')}`);

type Headers = Record<string, string>;
type Key = { secret: string } | { publicKey: string };

/** 'ok' when the signature checks out (a non-JSON body only fails the later parse), else why not. */
function ours(payload: string | Buffer, headers: Headers, key: Key): string {
  try {
    verifyWebhook({ payload, headers, ...key });
    return 'ok';
  } catch (error) {
    assert.ok(isWebhookVerificationError(error), String(error));
    return error.details.reason === 'invalid_payload' ? 'ok' : error.details.reason;
  }
}

function theirs(payload: string | Buffer, headers: Headers, secret: string): boolean {
  try {
    new Webhook(secret).verify(payload, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

/** Independent v1a check: node:crypto with the public key imported as a JWK. */
function edVerifies(publicKey: string, headers: Headers, payload: string | Buffer): boolean {
  const x = Buffer.from(publicKey.slice('whpk_'.length), 'base64').toString('base64url');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  const signed = Buffer.concat([
    Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`, 'utf8'),
    Buffer.from(payload),
  ]);
  return headers['webhook-signature'].split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    return version === 'v1a' && cryptoVerify(null, signed, key, Buffer.from(sig, 'base64'));
  });
}

/** Replaces the code point at `index % length` with `by` (or with 'x'/'y' if `by` is the same). */
function changeChar(s: string, index: number, by: string): string {
  const points = Array.from(s);
  const i = index % points.length;
  points[i] = by !== points[i] ? by : by === 'x' ? 'y' : 'x';
  const changed = points.join('');
  assert.notEqual(changed, s);
  return changed;
}

function changeByte(s: string, index: number, mask: number): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  bytes[index % bytes.length] ^= mask; // mask is 1..255, so the byte really changes
  return bytes;
}

type Tamper = { what: 'body' | 'id' | 'timestamp'; index: number; by: string; mask: number };
const tamperArb: fc.Arbitrary<Tamper> = fc.record({
  what: fc.constantFrom('body', 'id', 'timestamp'),
  index: fc.nat(10_000),
  by: fc.oneof(fc.fullUnicode(), fc.constantFrom(...'0123456789.a -'.split(''))),
  mask: fc.integer({ min: 1, max: 255 }),
});

/** Applies the change; `asBytes` changes one UTF-8 byte of the body instead of a character. */
function tamper(body: string, headers: Headers, t: Tamper, asBytes: boolean): { payload: string | Buffer; headers: Headers } {
  if (t.what === 'body') return { payload: asBytes ? changeByte(body, t.index, t.mask) : changeChar(body, t.index, t.by), headers };
  const name = t.what === 'id' ? 'webhook-id' : 'webhook-timestamp';
  return { payload: body, headers: { ...headers, [name]: changeChar(headers[name], t.index, t.by) } };
}

// ---- properties ----

describe('signing (property)', () => {
  it('generateSecret gives valid, distinct whsec_ secrets', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const secret = generateSecret();
      assert.ok(secretSchema.safeParse(secret).success, secret);
      seen.add(secret);
    }
    assert.equal(seen.size, 200);
  });

  it('v1 headers verify with standardwebhooks and verifyWebhook', () => {
    fc.assert(
      fc.property(hmacSecretArb, idArb, bodyArb, (secret, id, body) => {
        const headers = signatureHeaders(secret, id, body);
        assert.equal(headers['webhook-id'], id);
        assert.ok(theirs(body, headers, secret), 'standardwebhooks rejected');
        assert.equal(ours(body, headers, { secret }), 'ok');
        assert.equal(ours(Buffer.from(body, 'utf8'), headers, { secret }), 'ok');
        // `sign` is what the header carries, and what standardwebhooks computes itself.
        const ts = Number(headers['webhook-timestamp']);
        assert.equal(headers['webhook-signature'], sign(secret, id, ts, body));
        assert.equal(new Webhook(secret).sign(id, new Date(ts * 1000), body), sign(secret, id, ts, body));
      }),
      { numRuns: RUNS },
    );
  });

  it('v1 headers stop verifying when one character or byte of body, id or timestamp changes', () => {
    fc.assert(
      fc.property(hmacSecretArb, idArb, bodyArb.filter((b) => b.length > 0), tamperArb, fc.boolean(), (secret, id, body, t, asBytes) => {
        const headers = signatureHeaders(secret, id, body);
        const changed = tamper(body, headers, t, asBytes);
        assert.notEqual(ours(changed.payload, changed.headers, { secret }), 'ok');
        // standardwebhooks decodes a Buffer to a string first; only judge it when that string changed.
        if (typeof changed.payload === 'string' || changed.payload.toString('utf8') !== body) {
          assert.ok(!theirs(changed.payload, changed.headers, secret), 'standardwebhooks accepted a changed message');
        }
        // A timestamp changed only in its last digits is still fresh: the signature must be what fails.
        if (t.what === 'timestamp' && /^\d+$/.test(changed.headers['webhook-timestamp'])) {
          const drift = Math.abs(Number(changed.headers['webhook-timestamp']) - Number(headers['webhook-timestamp']));
          if (drift <= 300) assert.equal(ours(changed.payload, changed.headers, { secret }), 'no_matching_signature');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('with several secrets (rotation, mixed schemes) each key verifies, and a foreign one does not', () => {
    fc.assert(
      fc.property(hmacSecretArb, hmacSecretArb, edSecretArb, idArb, bodyArb, (current, previous, ed, id, body) => {
        fc.pre(current !== previous);
        const headers = signatureHeaders([current, previous, ed], id, body);
        assert.equal(headers['webhook-signature'].split(' ').length, 3);
        for (const secret of [current, previous]) {
          assert.ok(theirs(body, headers, secret));
          assert.equal(ours(body, headers, { secret }), 'ok');
        }
        const publicKey = publicKeyOf(ed);
        assert.equal(ours(body, headers, { publicKey }), 'ok');
        assert.ok(edVerifies(publicKey, headers, body));
        const foreign = generateSecret();
        assert.ok(!theirs(body, headers, foreign));
        assert.equal(ours(body, headers, { secret: foreign }), 'no_matching_signature');
      }),
      { numRuns: RUNS },
    );
  });

  it('publicKeyOf matches the public key node:crypto pairs with the seed', () => {
    for (let i = 0; i < 50; i += 1) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const jwk = privateKey.export({ format: 'jwk' });
      const seed = Buffer.from(jwk.d!, 'base64url').toString('base64');
      const x = Buffer.from(jwk.x!, 'base64url').toString('base64');
      assert.equal(publicKeyOf(`whsk_${seed}`), `whpk_${x}`);
    }
  });

  it('v1a headers verify with verifyWebhook and node:crypto', () => {
    fc.assert(
      fc.property(edSecretArb, idArb, bodyArb, (secret, id, body) => {
        const headers = signatureHeaders(secret, id, body);
        assert.match(headers['webhook-signature'], /^v1a,/);
        const publicKey = publicKeyOf(secret);
        assert.ok(edVerifies(publicKey, headers, body));
        assert.equal(ours(body, headers, { publicKey }), 'ok');
        assert.equal(ours(Buffer.from(body, 'utf8'), headers, { publicKey }), 'ok');
      }),
      { numRuns: RUNS },
    );
  });

  it('v1a headers stop verifying when one character or byte of body, id or timestamp changes', () => {
    fc.assert(
      fc.property(edSecretArb, idArb, bodyArb.filter((b) => b.length > 0), tamperArb, fc.boolean(), (secret, id, body, t, asBytes) => {
        const headers = signatureHeaders(secret, id, body);
        const publicKey = publicKeyOf(secret);
        const changed = tamper(body, headers, t, asBytes);
        assert.notEqual(ours(changed.payload, changed.headers, { publicKey }), 'ok');
        assert.ok(!edVerifies(publicKey, changed.headers, changed.payload));
      }),
      { numRuns: RUNS },
    );
  });
});
