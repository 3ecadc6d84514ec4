import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPostgresStore } from '../src/store/postgres';
import { openSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/store';
import { freshDatabase, sharedPostgres } from '../test/helpers/postgres';

/**
 * Runs a store benchmark's `measure` on a fresh SQLite store, then on a fresh PostgreSQL database
 * (a throwaway server), and returns their table rows in that order.
 */
export async function measureOnEachStore(name: string, measure: (kind: string, store: Store) => Promise<string[]>): Promise<string[]> {
  const masterKeys = [Buffer.alloc(32, 5)];
  const rows: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `callback-events-bench-${name}-`));
  const sqlite = openSqliteStore(dir, { masterKeys });
  try {
    rows.push(...(await measure('SQLite', sqlite)));
  } finally {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const server = await sharedPostgres();
  try {
    const postgres = await openPostgresStore({ url: await freshDatabase(), poolSize: 4 }, { masterKeys });
    try {
      rows.push(...(await measure('PostgreSQL', postgres)));
    } finally {
      await postgres.close();
    }
  } finally {
    await server.stop();
  }
  return rows;
}
