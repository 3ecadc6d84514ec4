import { createKeyring, type Keyring } from '../crypto/keyring';
import { CallbackEventsError, hasCode } from '../errors';
import type { EndpointSettings } from '../domain/endpoint';

/**
 * Secrets at rest. An endpoint's signing secret (and the one a rotation replaced) and its auth
 * credential (`auth.token` / `auth.value`) are kept sealed with the master keyring (AES-256-GCM,
 * `v1.<keyId>.<base64url>`); everything else stays readable JSON. These rules are every store's;
 * the pass that seals rows from before at open is the SQLite store's (sqlite/sealStoredSecrets.ts).
 */

export interface SecretsAtRest {
  /** Master keys, 32 bytes each: the first seals, every one opens (rotation). */
  masterKeys?: Buffer[];
  /** Or a ready keyring. */
  keyring?: Keyring;
}

export function keyringOf(options: SecretsAtRest | undefined): Keyring {
  if (options?.keyring) return options.keyring;
  if (!options?.masterKeys || options.masterKeys.length === 0) {
    throw new CallbackEventsError('store_key_error', 'The store needs the master key (CALLBACKS_MASTER_KEY, or DATA_DIR/keys/master.key) to keep endpoint secrets encrypted.');
  }
  return createKeyring(options.masterKeys);
}

/** The key id inside a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const [version, keyId] = sealed.split('.');
  return version === 'v1' ? keyId : undefined;
}

/** Opens one sealed value, or throws a `store_key_error` that says which and what to check. */
export function openSealed(keyring: Keyring, sealed: string, what: string): string {
  try {
    return keyring.open(sealed);
  } catch (err) {
    if (!hasCode(err, 'undecodable')) throw err;
    // The store cannot open what it holds with the configured master keys.
    throw new CallbackEventsError(
      'store_key_error',
      `Cannot decrypt ${what}: ${err.message} The master key that sealed it must be among the configured ones ` +
        '(CALLBACKS_MASTER_KEY, comma-separated, new key first; or DATA_DIR/keys/master.key).',
    );
  }
}

type Auth = NonNullable<EndpointSettings['auth']>;

function mapAuth(settings: EndpointSettings, fn: (value: string) => string): EndpointSettings {
  const auth: Auth | undefined = settings.auth;
  if (!auth) return settings;
  return {
    ...settings,
    auth: auth.type === 'bearer' ? { ...auth, token: fn(auth.token) } : { ...auth, value: fn(auth.value) },
  };
}

/** Settings as the column keeps them: the auth credential sealed. */
export function sealSettings(keyring: Keyring, settings: EndpointSettings): EndpointSettings {
  return mapAuth(settings, (value) => keyring.seal(value));
}

export function openSettings(keyring: Keyring, settings: EndpointSettings, endpointId: string): EndpointSettings {
  return mapAuth(settings, (value) => openSealed(keyring, value, `the auth credential of endpoint "${endpointId}"`));
}

/**
 * A referenced link, sealed like a secret and bound to its event and field (the AAD): a sealed
 * value copied to another row does not open there.
 */
export function sealLink(keyring: Keyring, eventId: string, field: string, url: string): string {
  const { keyId, sealed } = keyring.encrypt(Buffer.from(url, 'utf8'), linkAad(eventId, field));
  return `v1.${keyId}.${sealed.toString('base64url')}`;
}

export function openLink(keyring: Keyring, eventId: string, field: string, sealed: string): string {
  const [version, keyId, body] = sealed.split('.');
  if (version !== 'v1' || !keyId || body === undefined) throw new CallbackEventsError('store_key_error', `The link kept for ${eventId} ${field} is not a sealed value.`);
  try {
    return keyring.decrypt(keyId, Buffer.from(body, 'base64url'), linkAad(eventId, field)).toString('utf8');
  } catch (err) {
    if (!hasCode(err, 'undecodable')) throw err;
    throw new CallbackEventsError('store_key_error', `Cannot decrypt the link kept for ${eventId} ${field}: ${err.message}`);
  }
}

function linkAad(eventId: string, field: string): Buffer {
  return Buffer.from(JSON.stringify(['reference', eventId, field]), 'utf8');
}
