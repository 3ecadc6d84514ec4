import { CallbackEventsError } from '../errors';

/**
 * A store that cannot be reached (PostgreSQL restarting, failing over, refusing connections) is
 * the service being unavailable for a moment, not a fault of ours: the caller should retry, as it
 * does when Temporal is down. These are the errors node-postgres and Node's sockets give for it.
 */

/** Node's socket errors for a server that is not there (yet). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** PostgreSQL: shutting down, crashed, still starting (SQLSTATE 57P01–57P03). */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03']);
/** node-postgres's own words for a connection that ended or never came within its timeout. */
const CLIENT_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/i];

const RETRY_AFTER_S = 1;

export function isStoreUnreachable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // SQLSTATE class 08: connection exception.
    if (SOCKET_CODES.has(code) || SERVER_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && CLIENT_MESSAGES.some((m) => m.test(message))) return true;
  // A pool gives AggregateError when every address refused (localhost: ::1 and 127.0.0.1).
  return err instanceof AggregateError && err.errors.some(isStoreUnreachable);
}

/** The API's answer for an unreachable store: 503 `store_unavailable` with Retry-After; else undefined. */
export function storeUnavailable(err: unknown): CallbackEventsError | undefined {
  if (!isStoreUnreachable(err)) return undefined;
  return new CallbackEventsError('store_unavailable', `The store cannot be reached just now. Retry after ${RETRY_AFTER_S} s.`, {
    headers: { 'retry-after': String(RETRY_AFTER_S) },
    cause: err,
  });
}
