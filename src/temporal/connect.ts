import { NativeConnection } from '@temporalio/worker';
import type { Logger } from '../log';
import { CHANNEL_ARGS, WatchableConnection } from './connectionWatch';
import { ensureSearchAttributes } from './searchAttributes';
import { waitForTemporal } from './waitForTemporal';

/**
 * Reaches Temporal, waiting for it as long as it takes (waitForTemporal.ts), and readies the
 * namespace (search attributes) on the way: a connection it answers is one the service can use.
 */

/** Bounds each attempt: a server that accepts the socket but never answers is retried, not waited on forever. */
const ATTEMPT_MS = 5_000;

export interface ConnectOptions {
  address: string;
  namespace: string;
  /** A worker's NativeConnection (which a Client in the same process shares), else the client's own. */
  native: boolean;
  log: Logger;
  signal?: AbortSignal;
}

export type TemporalConnection = NativeConnection | WatchableConnection;

async function connectOnce(o: ConnectOptions): Promise<TemporalConnection> {
  const connection = o.native
    ? await NativeConnection.connect({ address: o.address })
    : await WatchableConnection.open({ address: o.address, connectTimeout: ATTEMPT_MS, channelArgs: CHANNEL_ARGS });
  try {
    const added = await connection.withDeadline(Date.now() + ATTEMPT_MS, () => ensureSearchAttributes(connection, o.namespace));
    if (added.length > 0) o.log.info('registered search attributes', { added });
    return connection;
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

export async function connectToTemporal(o: ConnectOptions): Promise<TemporalConnection> {
  const connection = await waitForTemporal(() => connectOnce(o), o);
  if (o.signal?.aborted) {
    await connection.close().catch(() => undefined);
    o.signal.throwIfAborted();
  }
  return connection;
}
