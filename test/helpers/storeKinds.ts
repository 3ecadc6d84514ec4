import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openPostgresStore } from '../../src/store/postgres';
import type { SecretsAtRest } from '../../src/store/secrets';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { dropDatabase, freshDatabase, withClient } from './postgres';

/**
 * The stores the store contract suite runs against: the same tests, each store. A place is where
 * one test's data lives (a SQLite folder, a fresh PostgreSQL database); every store opened on it
 * sees the same data, as processes on one host (SQLite) or on several (PostgreSQL) do.
 */

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** An endpoint's row as the store keeps it: for checking that secrets are sealed at rest. */
export interface RawEndpointRow {
  secret: string;
  settings: string;
  previous_secret: string | null;
}

export interface StorePlace {
  kind: StoreKind;
  open(secrets: SecretsAtRest): Promise<Store>;
  rawEndpoint(id: string): Promise<RawEndpointRow | undefined>;
  /** Overwrites an endpoint's stored secret and settings as they are (sealed or not): for a row the keys cannot open. */
  writeRawEndpoint(id: string, row: { secret: string; settings: string }): Promise<void>;
  /** A referenced link's column as the store keeps it: for checking that it is sealed at rest. */
  rawReferencedLink(eventId: string, field: string): Promise<string | undefined>;
  /** Removes the data; close the stores first. */
  dispose(): Promise<void>;
}

const RAW_ENDPOINT = 'SELECT secret, settings, previous_secret FROM endpoints WHERE id = ';
const RAW_LINK = 'SELECT sealed_url FROM referenced_links WHERE ';
const WRITE_ENDPOINT = 'UPDATE endpoints SET secret = $1, settings = $2 WHERE id = $3';

export async function storePlace(kind: StoreKind): Promise<StorePlace> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-store-'));
    return {
      kind,
      async open(secrets) {
        return openSqliteStore(dir, secrets);
      },
      async rawEndpoint(id) {
        const db = new Database(path.join(dir, 'callbacks.sqlite'), { readonly: true });
        try {
          return db.prepare(`${RAW_ENDPOINT}?`).get(id) as RawEndpointRow | undefined;
        } finally {
          db.close();
        }
      },
      async writeRawEndpoint(id, row) {
        const db = new Database(path.join(dir, 'callbacks.sqlite'));
        try {
          db.prepare(WRITE_ENDPOINT.replace(/\$\d/g, '?')).run(row.secret, row.settings, id);
        } finally {
          db.close();
        }
      },
      async rawReferencedLink(eventId, field) {
        const db = new Database(path.join(dir, 'callbacks.sqlite'), { readonly: true });
        try {
          return (db.prepare(`${RAW_LINK}event_id = ? AND field = ?`).get(eventId, field) as { sealed_url: string } | undefined)?.sealed_url;
        } finally {
          db.close();
        }
      },
      async dispose() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = await freshDatabase();
  return {
    kind,
    async open(secrets) {
      return openPostgresStore({ url, poolSize: 4 }, secrets);
    },
    async rawEndpoint(id) {
      return withClient(url, async (client) => (await client.query<RawEndpointRow>(`${RAW_ENDPOINT}$1`, [id])).rows[0]);
    },
    async writeRawEndpoint(id, row) {
      await withClient(url, (client) => client.query(WRITE_ENDPOINT, [row.secret, row.settings, id]));
    },
    async rawReferencedLink(eventId, field) {
      return withClient(url, async (client) => (await client.query<{ sealed_url: string }>(`${RAW_LINK}event_id = $1 AND field = $2`, [eventId, field])).rows[0]?.sealed_url);
    },
    async dispose() {
      await dropDatabase(url);
    },
  };
}

/** One store contract test's store: open on a fresh place before each test, closed and removed after. */
export interface StoreUnderTest {
  /** The open store. */
  store(): Store;
  /** Where its data lives: for a second store on the same data, or a look at the raw rows. */
  place(): StorePlace;
  /** Closes the store and opens the same data again (with these master keys, else the suite's). */
  reopen(masterKeys?: Buffer[]): Promise<Store>;
}

/** A describe block per store kind, each test with a fresh store opened with `masterKeys`. */
export function describeEachStore(title: string, masterKeys: Buffer[], body: (t: StoreUnderTest) => void): void {
  for (const kind of STORE_KINDS) {
    describe(`${title} (${kind})`, () => {
      let place: StorePlace | undefined;
      let store: Store | undefined;
      beforeEach(async () => {
        place = await storePlace(kind);
        store = await place.open({ masterKeys });
      });
      afterEach(async () => {
        await store?.close();
        store = undefined;
        await place?.dispose();
      });
      body({
        store: () => store!,
        place: () => place!,
        async reopen(keys = masterKeys) {
          await store?.close();
          store = await place!.open({ masterKeys: keys });
          return store;
        },
      });
    });
  }
}
