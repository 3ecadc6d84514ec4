import { Pool } from 'pg';
import type { Store } from '../store';
import { keyringOf, type SecretsAtRest } from '../secrets';
import { migrate } from './migrations';
import { createPgEndpoints } from './endpoints';
import { createPgAttempts } from './attempts';
import { createPgAudit } from './audit';
import { createPgFlow } from './flow';
import { createPgCallContext } from './callContext';
import { createPgReferences } from './references';
import { createPgTenants } from './tenants';

export { PG_MIGRATIONS } from './migrations';

export interface PostgresOptions {
  /** `postgres://…`; may hold a password, so it is never logged. */
  url: string;
  /** Connections this process keeps at most. */
  poolSize: number;
}

/**
 * The PostgreSQL store, for several processes on several hosts sharing one database. `secrets`
 * are the configured master keys: there is no generated key here, since a key file on one host
 * could not open what another host sealed. Migrates (under an advisory lock) before answering.
 */
export async function openPostgresStore(options: PostgresOptions, secrets: SecretsAtRest): Promise<Store> {
  const keyring = keyringOf(secrets);
  const pool = new Pool({ connectionString: options.url, max: options.poolSize, application_name: 'callback-events' });
  // An idle connection that breaks (the server restarted) is dropped by the pool and the next query
  // opens another; without a listener the 'error' event would end the process.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return {
    ...createPgEndpoints(pool, keyring),
    ...createPgAttempts(pool),
    ...createPgAudit(pool),
    ...createPgCallContext(pool),
    ...createPgReferences(pool, keyring),
    ...createPgTenants(pool),
    ...createPgFlow(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
