import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CallbackEventsError } from '../errors';

/**
 * AES-256-GCM with key ids, for rotation: the first key encrypts, every key decrypts.
 * Used for endpoint secrets at rest (master key) and Temporal payloads (payload key).
 *
 * Sealed form: `v1.<keyId>.<base64url(iv | tag | ciphertext)>`. The key id is the first 8 hex
 * characters of the key's SHA-256, so it names a key without revealing it.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Keyring {
  /** The id of the key that encrypts. */
  readonly currentKeyId: string;
  encrypt(plaintext: Buffer, aad?: Buffer): { keyId: string; sealed: Buffer };
  decrypt(keyId: string, sealed: Buffer, aad?: Buffer): Buffer;
  /** Text form for columns: `v1.<keyId>.<base64url>`. */
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createKeyring(keys: Buffer[]): Keyring {
  if (keys.length === 0) throw new CallbackEventsError('invalid_config', 'A keyring needs at least one key.');
  for (const key of keys) if (key.length !== 32) throw new CallbackEventsError('invalid_config', 'AES-256 keys are 32 bytes.');
  const byId = new Map(keys.map((key) => [keyIdOf(key), key]));
  const currentKeyId = keyIdOf(keys[0]);

  const encrypt = (plaintext: Buffer, aad?: Buffer) => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys[0], iv);
    if (aad) cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyId: currentKeyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
  };
  const decrypt = (keyId: string, sealed: Buffer, aad?: Buffer) => {
    const key = byId.get(keyId);
    if (!key) throw new CallbackEventsError('undecodable', `No key with id ${keyId} is configured; it may have been rotated out too early.`);
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new CallbackEventsError('undecodable', 'The sealed value is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CallbackEventsError('undecodable', `Decryption with key ${keyId} failed: the value was altered or the key is wrong.`);
    }
  };

  return {
    currentKeyId,
    encrypt,
    decrypt,
    seal(plaintext) {
      const { keyId, sealed } = encrypt(Buffer.from(plaintext, 'utf8'));
      return `v1.${keyId}.${sealed.toString('base64url')}`;
    },
    open(text) {
      const [version, keyId, body, extra] = text.split('.');
      if (version !== 'v1' || !keyId || body === undefined || extra !== undefined) throw new CallbackEventsError('undecodable', 'Not a sealed value.');
      return decrypt(keyId, Buffer.from(body, 'base64url')).toString('utf8');
    },
  };
}
