import { createHmac, timingSafeEqual, verify as edVerify, type KeyObject } from 'node:crypto';
import { publicKeyObject, TRACEPARENT_SIGNATURE_HEADER } from './signing';
import { CallbackEventsError, hasCode } from '../errors';

/**
 * Receiver side: checks a delivered webhook the way Standard Webhooks defines it, for both
 * schemes — `v1` (HMAC-SHA256, with the endpoint's `whsec_` secret) and `v1a` (Ed25519, with the
 * endpoint's `whpk_` public key) — and answers the parsed body.
 *
 *   const event = verifyWebhook({ payload: rawBody, headers: req.headers, publicKey: 'whpk_…' });
 *
 * `webhook-signature` may carry several space-separated signatures (during a secret rotation it
 * does); one that matches is enough.
 */

export type VerificationFailure =
  | 'missing_key'
  | 'invalid_key'
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'no_matching_signature'
  | 'invalid_payload';

/** A verification failure: code `webhook_unverified`, `details.reason` saying which check failed. */
export type WebhookVerificationError = CallbackEventsError<{ reason: VerificationFailure }> & { details: { reason: VerificationFailure } };

export function isWebhookVerificationError(err: unknown): err is WebhookVerificationError {
  return hasCode(err, 'webhook_unverified');
}

function unverified(reason: VerificationFailure, message: string): WebhookVerificationError {
  return new CallbackEventsError('webhook_unverified', message, { details: { reason } }) as WebhookVerificationError;
}

/** Node's `req.headers`, a plain record (any case), or a fetch `Headers`. */
export type WebhookHeaders =
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

export interface VerifyWebhookOptions {
  /** The raw body exactly as received: not re-serialised JSON. */
  payload: string | Buffer | Uint8Array;
  headers: WebhookHeaders;
  /** `whsec_…`: verifies `v1` signatures. */
  secret?: string;
  /** `whpk_…`: verifies `v1a` signatures. */
  publicKey?: string;
  /** How far `webhook-timestamp` may be from now, either way (default 300). */
  toleranceSeconds?: number;
  /** The time to judge the timestamp against (default: now). */
  now?: Date;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function hmacKey(secret: string): Buffer {
  if (secret.startsWith('whsk_')) {
    throw unverified('invalid_key', 'A "whsk_" secret is an ed25519 private key and stays with the sender; verify with the endpoint\'s public key ("whpk_…", GET /v1/endpoints/:id/public-key) as `publicKey`.');
  }
  const raw = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : '';
  const key = Buffer.from(raw, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || key.length === 0) {
    throw unverified('invalid_key', 'The secret must be "whsec_" followed by base64.');
  }
  return key;
}

function edKey(publicKey: string): KeyObject {
  try {
    return publicKeyObject(publicKey);
  } catch (err) {
    throw unverified('invalid_key', (err as Error).message);
  }
}

/** Verifies the headers' signature over the raw payload and answers the parsed JSON body; throws a `webhook_unverified` CallbackEventsError saying why not. */
export function verifyWebhook(options: VerifyWebhookOptions): unknown {
  const body = verifySignature(options);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw unverified('invalid_payload', 'The signature is valid but the payload is not JSON.');
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * An endpoint with `sendTraceparent` (docs/tracing.md): checks that the request's `traceparent`
 * was signed with it, by `webhook-traceparent-signature` over `${traceparent}.${body}`, and answers
 * it; undefined when the request carries none. Verify the request itself with verifyWebhook too.
 */
export function verifyTraceparent(options: VerifyWebhookOptions): string | undefined {
  const traceparent = header(options.headers, 'traceparent');
  if (traceparent === undefined) return undefined;
  if (!TRACEPARENT.test(traceparent)) throw unverified('invalid_payload', 'traceparent is not a W3C trace context (00-<trace id>-<span id>-<flags>).');
  const signature = header(options.headers, TRACEPARENT_SIGNATURE_HEADER);
  if (!signature) throw unverified('missing_headers', `Missing header(s): ${TRACEPARENT_SIGNATURE_HEADER}.`);
  const body = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
  verifySignature({
    ...options,
    payload: Buffer.concat([Buffer.from(`${traceparent}.`, 'utf8'), body]),
    headers: { get: (name: string) => (name === 'webhook-signature' ? signature : (header(options.headers, name) ?? null)) },
  });
  return traceparent;
}

/** The signature check itself: answers the raw payload once a signature verifies. */
function verifySignature({ payload, headers, secret, publicKey, toleranceSeconds = 300, now = new Date() }: VerifyWebhookOptions): Buffer {
  if (secret === undefined && publicKey === undefined) {
    throw unverified('missing_key', 'Give the endpoint\'s `secret` ("whsec_…", v1) or its `publicKey` ("whpk_…", v1a).');
  }
  const hmac = secret === undefined ? undefined : hmacKey(secret);
  const ed = publicKey === undefined ? undefined : edKey(publicKey);

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signatures],
  ].filter(([, v]) => !v).map(([name]) => name);
  if (missing.length > 0) throw unverified('missing_headers', `Missing header(s): ${missing.join(', ')}.`);

  if (!/^\d{1,15}$/.test(timestamp!)) throw unverified('invalid_timestamp', `webhook-timestamp "${timestamp}" is not unix seconds.`);
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (age > toleranceSeconds) {
    throw unverified('timestamp_too_old', `webhook-timestamp is ${age} s old, more than the ${toleranceSeconds} s allowed (a replay, or a clock that is off).`);
  }
  if (-age > toleranceSeconds) {
    throw unverified('timestamp_in_future', `webhook-timestamp is ${-age} s in the future, more than the ${toleranceSeconds} s allowed (a clock that is off).`);
  }

  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const expectedMac = hmac && createHmac('sha256', hmac).update(signed).digest();

  let matched = false;
  for (const entry of signatures!.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0) continue;
    const version = entry.slice(0, comma);
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (version === 'v1' && expectedMac) {
      matched = given.length === expectedMac.length && timingSafeEqual(given, expectedMac);
    } else if (version === 'v1a' && ed) {
      matched = given.length === 64 && edVerify(null, signed, ed, given);
    }
    if (matched) break;
  }
  if (!matched) {
    const schemes = [hmac && 'v1', ed && 'v1a'].filter(Boolean).join(' or ');
    throw unverified('no_matching_signature', `No matching signature: no ${schemes} signature in webhook-signature verifies with the given key (a wrong key, or a payload changed on the way).`);
  }
  return body;
}
