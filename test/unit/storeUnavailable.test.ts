import assert from 'node:assert/strict';
import express from 'express';
import pg from 'pg';
import { errorHandler } from '../../src/api/errors';
import { isStoreUnreachable } from '../../src/store/unavailable';
import { listen } from '../helpers/listen';
import { freePort } from '../helpers/ports';
import { dropDatabase, freshDatabase } from '../helpers/postgres';

/**
 * A store PostgreSQL cannot serve just now is a 503 `store_unavailable` the caller retries, not a
 * 500: checked on the errors node-postgres really gives (nothing listening; the server ending the
 * session), and one that is a fault of ours (bad SQL) stays a 500.
 */

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

async function answerFor(err: unknown): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(errorHandler(() => undefined));
  const server = await listen(app);
  try {
    const res = await fetch(`${server.base}/x`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  } finally {
    await server.close();
  }
}

describe('an unreachable store', function () {
  this.timeout(60_000);
  let url: string;
  before(async () => {
    url = await freshDatabase();
  });
  after(async () => dropDatabase(url));

  it('nothing listening at the address: 503 store_unavailable with Retry-After', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://u@127.0.0.1:${await freePort()}/db`, connectionTimeoutMillis: 2_000 });
    const err = await errorOf(() => pool.query('SELECT 1'));
    await pool.end();
    assert.equal(isStoreUnreachable(err), true, String(err));
    const res = await answerFor(err);
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'store_unavailable');
    assert.equal(res.retryAfter, '1');
  });

  it('the server ending the session (an administrator, a restart): 503', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on('error', () => undefined);
    const err = await errorOf(() => client.query('SELECT pg_terminate_backend(pg_backend_pid())'));
    await client.end().catch(() => undefined);
    assert.equal(isStoreUnreachable(err), true, String(err));
    assert.equal((await answerFor(err)).status, 503);
  });

  it('a query of ours that is wrong stays a 500 internal (logged, not retried by the caller)', async () => {
    const pool = new pg.Pool({ connectionString: url });
    const err = await errorOf(() => pool.query('SELEC 1'));
    await pool.end();
    assert.equal(isStoreUnreachable(err), false);
    const res = await answerFor(err);
    assert.equal(res.status, 500);
    assert.equal(res.body.error.code, 'internal');
  });
});
