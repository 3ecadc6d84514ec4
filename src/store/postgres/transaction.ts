import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` in one transaction on one pooled connection: committed when it resolves, rolled back
 * when it throws. Row locks taken inside (`SELECT … FOR UPDATE`) hold until the end, which is what
 * makes a read-then-write safe across every process on every host.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // Checked out, a client has no 'error' listener of the pool's: a connection the server ends
  // between two of our queries (PostgreSQL restarting) would emit an unhandled 'error' and end the
  // process (it did, in every worker, in the cluster suite). Noted here, the next query fails
  // instead, and the broken client is destroyed on release rather than pooled again.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A failed ROLLBACK means the connection is gone; the original error says more.
    await client.query('ROLLBACK').catch(() => undefined);
    broken ??= isConnectionGone(err) ? (err as Error) : undefined;
    throw err;
  } finally {
    // A broken client keeps the listener: it may still emit as it closes.
    if (!broken) client.removeListener('error', onError);
    client.release(broken);
  }
}

/** The connection itself failed (not the statement): PostgreSQL's admin shutdown codes, or no connection. */
function isConnectionGone(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  return /^57P0[123]$/.test(code) || /^08/.test(code) || /Connection terminated|ECONNRESET|ECONNREFUSED/.test(String((err as Error)?.message));
}
