import { createHmac, createPrivateKey, createPublicKey, randomBytes, sign as edSign, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/**
 * Standard Webhooks signing, both schemes, over `${id}.${timestamp}.${body}`:
 *
 * - `hmac-sha256` (`v1`): HMAC-SHA256 with the base64-decoded part of a `whsec_` secret.
 * - `ed25519` (`v1a`): an Ed25519 signature with the key in a `whsk_` secret, which is base64 of
 *   the raw 32-byte Ed25519 private key (the RFC 8032 seed). Its public key is `whpk_` + base64
 *   of the raw 32-byte public key.
 *
 * While a rotated-out secret is in its grace period both sign, and `webhook-signature` carries
 * both signatures, space-separated, the current one first.
 */

export type SigningScheme = 'hmac-sha256' | 'ed25519';
export const SIGNING_SCHEMES = ['hmac-sha256', 'ed25519'] as const satisfies readonly SigningScheme[];
export const DEFAULT_SIGNING_SCHEME: SigningScheme = 'hmac-sha256';

const SECRET_PREFIX = 'whsec_';
export const ED25519_SECRET_PREFIX = 'whsk_';
export const ED25519_PUBLIC_PREFIX = 'whpk_';

/** DER framing of a raw Ed25519 key (RFC 8410), so Node's crypto takes the 32 raw bytes. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A `whsec_` secret (hmac-sha256). */
export const secretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be "whsec_" followed by base64')
  .refine((s) => {
    const bytes = Buffer.from(s.slice(SECRET_PREFIX.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must hold 24 to 64 bytes of key material (Standard Webhooks)');

/** A `whsk_` secret (ed25519): base64 of the raw 32-byte private key. */
export const ed25519SecretSchema = z
  .string()
  .regex(/^whsk_[A-Za-z0-9+/]+={0,2}$/, 'must be "whsk_" followed by base64')
  .refine((s) => Buffer.from(s.slice(ED25519_SECRET_PREFIX.length), 'base64').length === 32, {
    message: 'must hold the raw 32-byte Ed25519 private key (seed), base64',
  });

/** The scheme a secret belongs to, by its prefix. */
export function schemeOfSecret(secret: string): SigningScheme | undefined {
  if (secret.startsWith(SECRET_PREFIX)) return 'hmac-sha256';
  if (secret.startsWith(ED25519_SECRET_PREFIX)) return 'ed25519';
  return undefined;
}

/** Why `secret` cannot be used with `scheme`, or undefined when it can. */
export function secretProblem(secret: string, scheme: SigningScheme): string | undefined {
  const schema = scheme === 'ed25519' ? ed25519SecretSchema : secretSchema;
  const result = schema.safeParse(secret);
  if (result.success) return undefined;
  const found = schemeOfSecret(secret);
  if (found && found !== scheme) {
    return scheme === 'ed25519'
      ? 'a "whsec_" secret is for hmac-sha256; an ed25519 endpoint takes a "whsk_" secret (base64 of a 32-byte Ed25519 private key)'
      : 'a "whsk_" secret is for ed25519; set "signing": "ed25519", or give a "whsec_" secret';
  }
  return result.error.issues.map((i) => i.message).join('; ');
}

export function generateSecret(scheme: SigningScheme = DEFAULT_SIGNING_SCHEME): string {
  return (scheme === 'ed25519' ? ED25519_SECRET_PREFIX : SECRET_PREFIX) + randomBytes(32).toString('base64');
}

export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

function ed25519PrivateKey(secret: string): KeyObject {
  const seed = Buffer.from(secret.slice(ED25519_SECRET_PREFIX.length), 'base64');
  if (!secret.startsWith(ED25519_SECRET_PREFIX) || seed.length !== 32) {
    // An invariant: secrets are checked (secretProblem) before they are stored or used.
    throw new Error('An ed25519 secret is "whsk_" followed by base64 of a 32-byte private key.');
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

/** Standard Webhooks `v1a`: Ed25519 over `${id}.${timestamp}.${body}`. */
export function signEd25519(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const signature = edSign(null, Buffer.from(`${msgId}.${timestampSeconds}.${body}`, 'utf8'), ed25519PrivateKey(secret));
  return `v1a,${signature.toString('base64')}`;
}

/** Signs with whichever scheme the secret's prefix names. */
export function signWith(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  return schemeOfSecret(secret) === 'ed25519' ? signEd25519(secret, msgId, timestampSeconds, body) : sign(secret, msgId, timestampSeconds, body);
}

/** `whpk_…`: base64 of the raw 32-byte public key of a `whsk_` secret. */
export function publicKeyOf(secret: string): string {
  const spki = createPublicKey(ed25519PrivateKey(secret)).export({ format: 'der', type: 'spki' });
  return ED25519_PUBLIC_PREFIX + spki.subarray(SPKI_ED25519.length).toString('base64');
}

/** A Node KeyObject for a `whpk_` public key. */
export function publicKeyObject(publicKey: string): KeyObject {
  const raw = publicKey.startsWith(ED25519_PUBLIC_PREFIX) ? publicKey.slice(ED25519_PUBLIC_PREFIX.length) : '';
  const bytes = Buffer.from(raw, 'base64');
  if (!base64.test(raw) || bytes.length !== 32) {
    // verifyWebhook, the one caller given outside keys, answers this as its `invalid_key` failure.
    throw new Error('A public key is "whpk_" followed by base64 of the raw 32-byte Ed25519 public key.');
  }
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, bytes]), format: 'der', type: 'spki' });
}

/**
 * Headers of one attempt; signed afresh each time so a late retry never carries a stale timestamp.
 * Several secrets (current first, then one in its grace period) give space-separated signatures.
 */
export function signatureHeaders(
  secrets: string | readonly string[],
  msgId: string,
  body: string,
  now: Date = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new Error('signatureHeaders needs at least one secret.');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': list.map((secret) => signWith(secret, msgId, timestamp, body)).join(' '),
  };
}

/** The header that signs a request's `traceparent` (docs/tracing.md). */
export const TRACEPARENT_SIGNATURE_HEADER = 'webhook-traceparent-signature';

/**
 * `traceparent` and its signature: the same scheme, secrets, `webhook-id` and `webhook-timestamp`
 * as `webhook-signature`, over `${id}.${timestamp}.${traceparent}.${body}`. So a receiver checks it
 * with any Standard Webhooks library, giving it `${traceparent}.${body}` as the payload and this
 * header as the signature; `webhook-signature` stays exactly what it is without a traceparent.
 */
export function traceparentSignatureHeaders(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  traceparent: string,
  body: string,
): Record<string, string> {
  const payload = `${traceparent}.${body}`;
  return {
    traceparent,
    [TRACEPARENT_SIGNATURE_HEADER]: secrets.map((secret) => signWith(secret, msgId, timestampSeconds, payload)).join(' '),
  };
}
