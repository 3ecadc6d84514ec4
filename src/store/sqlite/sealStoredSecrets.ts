import type Database from 'better-sqlite3';
import type { Keyring } from '../../crypto/keyring';
import type { EndpointSettings } from '../../domain/endpoint';
import { openSealed, openSettings, sealedKeyId, sealSettings } from '../secrets';

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
