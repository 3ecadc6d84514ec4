import type http from 'node:http';
import type { ReceiverLedger } from './receiverLedger';

/**
 * A receiver in its own process (the bench's, so its CPU is neither the service's nor the load
 * generator's), driven over HTTP; receiverClient.ts is the other side.
 *
 *   PUT /_receiver/trust             {"path": "/hooks/e2e", "key": "whsec_..."}
 *   GET /_receiver/count?prefix=P    {"distinct", "total"} over paths starting with P (cheap, polled)
 *   GET /_receiver/arrivals?prefix=P {"<path>": {"<webhook-id>": firstArrivalEpochMs}}
 *   GET /_receiver/stats             totals, duplicates, signature results, per path
 */

export const CONTROL_PREFIX = '/_receiver/';

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

export function handleControl(ledger: ReceiverLedger, method: string, rawUrl: string, body: Buffer, res: http.ServerResponse): void {
  const url = new URL(rawUrl, 'http://receiver');
  const prefix = url.searchParams.get('prefix') ?? '/';
  try {
    switch (`${method} ${url.pathname.slice(CONTROL_PREFIX.length)}`) {
      case 'PUT trust': {
        const { path, key } = JSON.parse(body.toString('utf8')) as { path: string; key: string };
        ledger.trust(path, key);
        return json(res, 200, { ok: true });
      }
      case 'GET count':
        return json(res, 200, ledger.count(prefix));
      case 'GET arrivals':
        return json(res, 200, ledger.arrivals(prefix));
      case 'GET stats':
        return json(res, 200, ledger.stats());
      default:
        return json(res, 404, { error: 'unknown control route' });
    }
  } catch (err) {
    return json(res, 400, { error: (err as Error).message });
  }
}
