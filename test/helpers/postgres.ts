import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ROOT } from './processes';
import { toolSettings } from './settings';

/**
 * PostgreSQL for tests: one throwaway server per test run, started by the shared
 * scripts/postgres.sh (as the bench, the cluster and CI start theirs), stopped when the run
 * exits; each suite or test takes a fresh database of its own on it.
 */

const SCRIPT = path.join(ROOT, 'scripts/postgres.sh');

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, the maintenance database. */
  url: string;
  stop(): Promise<void>;
  /** The same, for a process 'exit' handler (only synchronous work runs there). */
  stopSync(): void;
}

/** Starts a server in a fresh folder of its own; `stop` stops it and removes the folder. */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-pg-'));
  const env = toolSettings().baseEnv;
  const { stdout } = await promisify(execFile)('bash', [SCRIPT, 'start', dir], { env });
  const url = stdout.trim();
  // A test server loses nothing worth an fsync; without them CREATE DATABASE and commits are quick.
  await withClient(url, async (client) => {
    await client.query('ALTER SYSTEM SET fsync = off');
    await client.query('ALTER SYSTEM SET synchronous_commit = off');
    await client.query('SELECT pg_reload_conf()');
  });
  return {
    url,
    async stop() {
      await promisify(execFile)('bash', [SCRIPT, 'stop', dir], { env });
      fs.rmSync(dir, { recursive: true, force: true });
    },
    stopSync() {
      execFileSync('bash', [SCRIPT, 'stop', dir], { env, stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<PostgresServer> | undefined;

/** The run's server, started on first use and stopped as the test process exits. */
export function sharedPostgres(): Promise<PostgresServer> {
  if (!shared) {
    shared = startPostgres();
    shared.then(
      (server) => {
        // Mocha ends with process.exit: only synchronous work runs then.
        process.once('exit', () => server.stopSync());
      },
      () => undefined,
    );
  }
  return shared;
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the run's server; answers its URL. */
export async function freshDatabase(): Promise<string> {
  const server = await sharedPostgres();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withClient(server.url, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by freshDatabase, cutting any connection still open to it. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const server = await sharedPostgres();
  const name = new URL(databaseUrl).pathname.slice(1);
  await withClient(server.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
