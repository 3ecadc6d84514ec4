import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../endpoint';
import { StoreConflictError, type Store } from './store';

/** Ordered schema migrations; `PRAGMA user_version` records how many have run. */
const MIGRATIONS: string[] = [
  `CREATE TABLE endpoints (
     id         TEXT PRIMARY KEY,
     secret     TEXT NOT NULL,
     settings   TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
];

interface EndpointRow {
  id: string;
  secret: string;
  settings: string;
  created_at: string;
  updated_at: string;
}

function toEndpoint(row: EndpointRow): EndpointWithSecret {
  const settings = JSON.parse(row.settings) as EndpointSettings;
  return { id: row.id, ...settings, secret: row.secret, createdAt: row.created_at, updatedAt: row.updated_at };
}

function withoutSecret({ secret: _secret, ...endpoint }: EndpointWithSecret): Endpoint {
  return endpoint;
}

/** Fields left undefined are dropped, and `null` in a patch clears the field. */
function applyPatch(settings: EndpointSettings, patch: EndpointPatch): EndpointSettings {
  const next: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as EndpointSettings;
}

function settingsOf(endpoint: EndpointWithSecret): EndpointSettings {
  const { id: _id, secret: _secret, createdAt: _c, updatedAt: _u, ...settings } = endpoint;
  return settings;
}

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const run = db.transaction(() => {
    for (let i = current; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  run();
}

export function openSqliteStore(dataDir: string): Store {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'callbacks.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // API and worker processes may share the file; wait rather than fail on a brief lock.
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const stmt = {
    insert: db.prepare(
      'INSERT INTO endpoints (id, secret, settings, created_at, updated_at) VALUES (@id, @secret, @settings, @now, @now)',
    ),
    get: db.prepare('SELECT * FROM endpoints WHERE id = ?'),
    list: db.prepare('SELECT * FROM endpoints ORDER BY created_at, id'),
    update: db.prepare('UPDATE endpoints SET settings = @settings, updated_at = @now WHERE id = @id'),
    remove: db.prepare('DELETE FROM endpoints WHERE id = ?'),
    ping: db.prepare('SELECT 1'),
  };
  const get = (id: string) => {
    const row = stmt.get.get(id) as EndpointRow | undefined;
    return row && toEndpoint(row);
  };

  return {
    async createEndpoint({ id, secret, settings }) {
      const now = new Date().toISOString();
      try {
        stmt.insert.run({ id, secret, settings: JSON.stringify(settings), now });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreConflictError(`An endpoint with id "${id}" already exists.`);
        }
        throw err;
      }
      return get(id)!;
    },
    async getEndpoint(id) {
      return get(id);
    },
    async listEndpoints() {
      return (stmt.list.all() as EndpointRow[]).map((row) => withoutSecret(toEndpoint(row)));
    },
    async updateEndpoint(id, patch) {
      const update = db.transaction(() => {
        const current = get(id);
        if (!current) return undefined;
        const settings = applyPatch(settingsOf(current), patch);
        stmt.update.run({ id, settings: JSON.stringify(settings), now: new Date().toISOString() });
        return withoutSecret(get(id)!);
      });
      return update();
    },
    async deleteEndpoint(id) {
      return stmt.remove.run(id).changes > 0;
    },
    async ping() {
      stmt.ping.get();
    },
    async close() {
      db.close();
    },
  };
}
