import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP receiver on loopback that records every request and answers as scripted. */

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  path: string;
  at: number;
}

export type Script = (request: Received, index: number) => number | { status: number; delayMs?: number; headers?: Record<string, string>; body?: string };

export interface Receiver {
  url: string;
  requests: Received[];
  /** Replaces the answers from now on. */
  script(next: Script): void;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(initial: Script = () => 200): Promise<Receiver> {
  let script = initial;
  const requests: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/', at: Date.now() };
      const index = requests.push(received) - 1;
      waiters.splice(0).forEach((w) => w());
      const answer = script(received, index);
      const { status, delayMs = 0, headers = {}, body = '' } = typeof answer === 'number' ? { status: answer } : answer;
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, headers).end(body);
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    script(next) {
      script = next;
    },
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`receiver got ${requests.length} request(s), expected ${count}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return requests.slice(0, count);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
