import type { Config } from '../config';
import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store } from './store';

/**
 * The store the configuration chooses: PostgreSQL when DATABASE_URL is set (processes on several
 * hosts share it), else the embedded SQLite file under DATA_DIR. `masterKeys` seal secrets at rest.
 */
export async function openStore(config: Pick<Config, 'database' | 'dataDir'>, masterKeys: Buffer[]): Promise<Store> {
  if (config.database) return openPostgresStore(config.database, { masterKeys });
  return openSqliteStore(config.dataDir, { masterKeys });
}
