import path from 'node:path';
import { spawnTs, type Proc } from './processes';
import type { ReceiverStats } from './receiverLedger';

/** A receiver in its own process (receiverProcess.ts), and our view of it over its /_receiver/ routes. */

export interface ReceiverClient {
  /** The base url: no path. */
  url: string;
  /** Distinct (path, webhook-id) pairs accepted on paths starting with `prefix`. */
  count(prefix: string): Promise<number>;
  /** path → webhook-id → first arrival (epoch ms). */
  arrivals(prefix: string): Promise<Record<string, Record<string, number>>>;
  stats(): Promise<ReceiverStats>;
  checkSignatures(path: string, secret: string): Promise<void>;
}

export function receiverClient(url: string): ReceiverClient {
  const get = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${url}/_receiver/${route}`);
    if (!res.ok) throw new Error(`receiver ${route}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    count: async (prefix) => (await get<{ distinct: number }>(`count?prefix=${encodeURIComponent(prefix)}`)).distinct,
    arrivals: (prefix) => get(`arrivals?prefix=${encodeURIComponent(prefix)}`),
    stats: () => get('stats'),
    async checkSignatures(p, secret) {
      const res = await fetch(`${url}/_receiver/trust`, { method: 'PUT', body: JSON.stringify({ path: p, key: secret }) });
      if (!res.ok) throw new Error(`receiver trust: HTTP ${res.status}`);
    },
  };
}

/** Starts the receiver process; it dies with us (it watches its stdin). */
export async function startReceiverProcess(env: Record<string, string>, logDir: string): Promise<{ proc: Proc; client: ReceiverClient }> {
  const proc = spawnTs('receiver', path.join(__dirname, 'receiverProcess.ts'), [], env, logDir, true);
  const line = await proc.waitFor(/^\{"port":\d+\}/, 60_000);
  const { port } = JSON.parse(line) as { port: number };
  return { proc, client: receiverClient(`http://127.0.0.1:${port}`) };
}
