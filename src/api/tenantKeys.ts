import { createHash, randomBytes } from 'node:crypto';

/**
 * Tenant API keys: `cbk_` and 32 random bytes (base64url). Only the SHA-256 of a key is stored;
 * the key itself is answered once, when it is made. The prefix tells a tenant key from a service
 * key without a lookup.
 */

const PREFIX = 'cbk_';

export const isTenantKey = (key: string) => key.startsWith(PREFIX);

export const tenantKeyHash = (key: string) => createHash('sha256').update(key).digest('hex');

export function newTenantKey(): { id: string; key: string; hash: string } {
  const key = PREFIX + randomBytes(32).toString('base64url');
  return { id: `key_${randomBytes(8).toString('hex')}`, key, hash: tenantKeyHash(key) };
}
