import type Database from 'better-sqlite3';
import { createKeyring, type Keyring } from '../crypto/keyring';
import { CallbackEventsError, hasCode } from '../errors';
import type { EndpointSettings } from '../domain/endpoint';

/**
 * Secrets at rest. An endpoint's signing secret (and the one a rotation replaced) and its auth
 * credential (`auth.token` / `auth.value`) are kept sealed with the master keyring (AES-256-GCM,
 * `v1.<keyId>.<base64url>`); everything else stays readable JSON.
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

interface StoredRow {
  id: string;
  secret: string;
  settings: string;
  previous_secret: string | null;
  sealed: number;
}

/**
 * Run at every open, after the migrations:
 * - rows written before secrets were sealed (`sealed = 0`) are sealed, with SQLite's secure_delete on
 *   and the WAL truncated afterwards, so the plaintext does not linger in freed pages;
 * - every sealed value is opened once, so a missing or wrong master key stops the start with a clear
 *   message instead of failing each delivery;
 * - values sealed with an older key are sealed again with the first one, so the old key can be
 *   retired once every process runs with the new one first.
 */
export function sealStoredSecrets(db: Database.Database, keyring: Keyring): { sealed: number; resealed: number } {
  let sealed = 0;
  let resealed = 0;
  const update = db.prepare('UPDATE endpoints SET secret = @secret, settings = @settings, previous_secret = @previous, sealed = 1 WHERE id = @id');
  const pass = db.transaction(() => {
    const rows = db.prepare('SELECT id, secret, settings, previous_secret, sealed FROM endpoints').all() as StoredRow[];
    for (const row of rows) {
      const settings = JSON.parse(row.settings) as EndpointSettings;
      if (row.sealed === 0) {
        update.run({
          id: row.id,
          secret: keyring.seal(row.secret),
          settings: JSON.stringify(sealSettings(keyring, settings)),
          previous: row.previous_secret === null ? null : keyring.seal(row.previous_secret),
        });
        sealed++;
        continue;
      }
      const values = [row.secret, row.previous_secret, settings.auth?.type === 'bearer' ? settings.auth.token : settings.auth?.value];
      const stale = values.some((v) => v != null && sealedKeyId(v) !== keyring.currentKeyId);
      const secret = openSealed(keyring, row.secret, `the signing secret of endpoint "${row.id}"`);
      const previous = row.previous_secret === null ? null : openSealed(keyring, row.previous_secret, `the previous signing secret of endpoint "${row.id}"`);
      const opened = openSettings(keyring, settings, row.id);
      if (!stale) continue;
      update.run({
        id: row.id,
        secret: keyring.seal(secret),
        settings: JSON.stringify(sealSettings(keyring, opened)),
        previous: previous === null ? null : keyring.seal(previous),
      });
      resealed++;
    }
  });
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    pass.immediate();
  } finally {
    db.pragma(`secure_delete = ${secureDelete}`);
  }
  if (sealed > 0) db.pragma('wal_checkpoint(TRUNCATE)');
  return { sealed, resealed };
}
