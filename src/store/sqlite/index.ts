import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store';
import { keyringOf, type SecretsAtRest } from '../secrets';
import { resolveKeys } from '../../crypto/keys';
import { migrate } from './migrations';
import { sealStoredSecrets } from './sealStoredSecrets';
import { createSqliteEndpoints } from './endpoints';
import { createSqliteAttempts } from './attempts';
import { createSqliteAudit } from './audit';
import { createSqliteFlow } from './flow';
import { createSqliteCallContext } from './callContext';
import { createSqliteReferences } from './references';
import { createSqliteTenants } from './tenants';

export { MIGRATIONS } from './migrations';

/**
 * `secrets`: the master keys (or a keyring) that seal endpoint secrets and auth credentials at
 * rest. Without them, the development key under `dataDir/keys/master.key` (made once, as
 * `resolveKeys` does) is used; the service always passes its resolved keys.
 */
export function openSqliteStore(dataDir: string, secrets?: SecretsAtRest): Store {
  const keyring = keyringOf(secrets ?? { masterKeys: resolveKeys({ master: [], payload: [] }, dataDir).master });
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'callbacks.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // API and worker processes may share the file; wait rather than fail on a brief lock.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  try {
    sealStoredSecrets(db, keyring);
  } catch (err) {
    db.close();
    throw err;
  }

  const { forget, ...flow } = createSqliteFlow(db);
  const ping = db.prepare('SELECT 1');
  return {
    ...createSqliteEndpoints(db, keyring, forget),
    ...createSqliteAttempts(db),
    ...createSqliteAudit(db),
    ...createSqliteCallContext(db),
    ...createSqliteReferences(db, keyring),
    ...createSqliteTenants(db, forget),
    ...flow,
    async ping() {
      ping.get();
    },
    async close() {
      db.close();
    },
  };
}
