/** The bench's view of the receiver process (its /_bench control routes). */

export interface ReceiverStats {
  distinct: number;
  total: number;
  duplicates: number;
  invalidSignatures: number;
  unsigned: number;
  signatureChecked: string[];
  byPath: Record<string, { distinct: number; total: number; duplicates: number }>;
}

export interface ReceiverClient {
  url: string;
  /** Distinct (path, webhook-id) pairs received on paths starting with `prefix`. */
  count(prefix: string): Promise<number>;
  /** path → webhook-id → first arrival (epoch ms). */
  arrivals(prefix: string): Promise<Record<string, Record<string, number>>>;
  stats(): Promise<ReceiverStats>;
  checkSignatures(path: string, secret: string): Promise<void>;
}

export function receiverClient(url: string): ReceiverClient {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(url + path);
    if (!res.ok) throw new Error(`receiver ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    count: async (prefix) => (await get<{ distinct: number }>(`/_bench/count?prefix=${encodeURIComponent(prefix)}`)).distinct,
    arrivals: (prefix) => get(`/_bench/arrivals?prefix=${encodeURIComponent(prefix)}`),
    stats: () => get('/_bench/stats'),
    async checkSignatures(path, secret) {
      const res = await fetch(`${url}/_bench/secret`, { method: 'PUT', body: JSON.stringify({ path, secret }) });
      if (!res.ok) throw new Error(`receiver secret: HTTP ${res.status}`);
    },
  };
}
