import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CallbackEventsError } from '../errors';

/**
 * Reference tokens: the capability in `<public url>/v1/references/<token>`. A token names one
 * event, one endpoint, one field, when it was issued and when it expires, and carries an
 * HMAC-SHA256 tag (truncated to 128 bits) under a key derived from the master key with HKDF,
 * under a label of its own, so the key that seals secrets never signs anything and a token key
 * opens nothing.
 *
 * Form: `base64url(JSON [eventId, endpointId, field, issuedAt, expiresAt]) "." base64url(tag)`.
 * Every configured master key verifies (rotation); the first signs.
 */

const LABEL = 'callback-events reference tokens v1';
const TAG_BYTES = 16;
/** Longer than any token the service mints (ids are at most a few hundred characters). */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface ReferenceClaims {
  eventId: string;
  endpointId: string;
  /** The field's dot path in the event's `data`, e.g. `recordingUrl`. */
  field: string;
  /** Epoch seconds: an endpoint created after it (deleted, then made again under the id) is another endpoint. */
  issuedAt: number;
  /** Epoch seconds. */
  expiresAt: number;
}

const epochSeconds = z.number().int().min(0);
const claimsSchema = z.tuple([z.string().min(1), z.string().min(1), z.string().min(1), epochSeconds, epochSeconds]);

export interface ReferenceTokens {
  mint(claims: ReferenceClaims): string;
  /** The claims of a token one of the keys signed, expired or not; undefined for anything else. */
  verify(token: string): ReferenceClaims | undefined;
}

function referenceTokenKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), LABEL, 32));
}

export function createReferenceTokens(masterKeys: Buffer[]): ReferenceTokens {
  if (masterKeys.length === 0) throw new CallbackEventsError('invalid_config', 'Reference tokens need the master key (CALLBACKS_MASTER_KEY).');
  const keys = masterKeys.map(referenceTokenKey);
  const tagOf = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES);

  return {
    mint({ eventId, endpointId, field, issuedAt, expiresAt }) {
      const body = Buffer.from(JSON.stringify([eventId, endpointId, field, issuedAt, expiresAt]), 'utf8').toString('base64url');
      return `${body}.${tagOf(keys[0], body).toString('base64url')}`;
    },
    verify(token) {
      if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) return undefined;
      const [body, tagText] = token.split('.');
      const tag = Buffer.from(tagText, 'base64url');
      // Base64url decoding ignores stray trailing bits: only the one spelling of the tag is the tag.
      if (tag.length !== TAG_BYTES || tag.toString('base64url') !== tagText) return undefined;
      if (!keys.some((key) => timingSafeEqual(tagOf(key, body), tag))) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      const claims = claimsSchema.safeParse(parsed);
      if (!claims.success) return undefined;
      const [eventId, endpointId, field, issuedAt, expiresAt] = claims.data;
      return { eventId, endpointId, field, issuedAt, expiresAt };
    },
  };
}
