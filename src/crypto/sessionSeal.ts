import { hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { CallbackEventsError } from '../errors';
import { createKeyring } from './keyring';

/**
 * The login session's cookie value: `{ the key's SHA-256, whether it is a tenant key, expiry }`
 * sealed with AES-256-GCM (keyring.ts) under a key derived from the master key with HKDF, under a
 * label of its own, so the key that seals secrets at rest never seals a cookie. The key itself is
 * never in the cookie; its hash is looked up again on every request (src/api/auth.ts), so a revoked
 * or removed key ends its sessions at once on every API process that shares the master key.
 *
 * Form: `v1.<keyId>.<base64url(iv | tag | ciphertext)>`: cookie-safe as it is. Every configured
 * master key opens (rotation); the first seals.
 */

const LABEL = 'callback-events login sessions v1';
const AAD = Buffer.from('callbacks_session');
/** Far longer than any value sealed here; a bigger cookie is not ours. */
const MAX_SEALED_LENGTH = 1024;

export interface SessionClaims {
  /** SHA-256 (hex) of the key logged in with. */
  keyHash: string;
  /** A tenant key (`cbk_…`), looked up in the store; else one of the service's keys. */
  tenantKey: boolean;
  /** Epoch seconds. */
  expiresAt: number;
}

const claimsSchema = z.tuple([z.string().regex(/^[0-9a-f]{64}$/), z.boolean(), z.number().int().min(0)]);

export interface SessionSeal {
  seal(claims: SessionClaims): string;
  /** The claims of a value one of the keys sealed, expired or not; undefined for anything else. */
  open(sealed: string): SessionClaims | undefined;
}

export function createSessionSeal(masterKeys: Buffer[]): SessionSeal {
  if (masterKeys.length === 0) throw new CallbackEventsError('invalid_config', 'Login sessions need the master key (CALLBACKS_MASTER_KEY).');
  const keyring = createKeyring(masterKeys.map((key) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), LABEL, 32))));
  return {
    seal({ keyHash, tenantKey, expiresAt }) {
      const { keyId, sealed } = keyring.encrypt(Buffer.from(JSON.stringify([keyHash, tenantKey, expiresAt]), 'utf8'), AAD);
      return `v1.${keyId}.${sealed.toString('base64url')}`;
    },
    open(text) {
      if (text.length > MAX_SEALED_LENGTH) return undefined;
      const [version, keyId, body, extra] = text.split('.');
      if (version !== 'v1' || !keyId || !body || extra !== undefined) return undefined;
      const bytes = Buffer.from(body, 'base64url');
      // Base64url decoding ignores stray trailing bits: only the one spelling of the value is the value.
      if (bytes.toString('base64url') !== body) return undefined;
      try {
        const claims = claimsSchema.safeParse(JSON.parse(keyring.decrypt(keyId, bytes, AAD).toString('utf8')));
        if (!claims.success) return undefined;
        const [keyHash, tenantKey, expiresAt] = claims.data;
        return { keyHash, tenantKey, expiresAt };
      } catch {
        // Altered, sealed under a key no longer configured, or not ours: the same answer for all.
        return undefined;
      }
    },
  };
}
