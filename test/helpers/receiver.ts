import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiverLedger } from './receiverLedger';
import { handleControl, CONTROL_PREFIX } from './receiverControl';
import { signatureValid } from './signatureCheck';

/**
 * The one webhook receiver, real HTTP on loopback, for tests, the chaos suite, the bench and
 * `npm run receiver`. It answers as scripted (200 by default; failures, delays and hangs are
 * answers too), records what it got as `keep` says, checks signatures on the paths it was given
 * keys for, and keeps a ledger of what it accepted (2xx, signature valid or not checked).
 */

export interface Received {
  /** Empty unless `keep` is 'everything'. */
  headers: http.IncomingHttpHeaders;
  /** Empty unless `keep` is 'everything'. */
  body: string;
  /** The url's path, without the query. */
  path: string;
  webhookId: string;
  /** Arrival, on the receiver's clock (Date.now() unless told). */
  at: number;
  /** What it answered, and after how long (a hang is a long delay). */
  status: number;
  delayMs: number;
  /** Undefined while no key is known for the path. */
  signatureValid?: boolean;
}

export type Answer = number | { status: number; delayMs?: number; headers?: Record<string, string>; body?: string };
export type Script = (request: Received, index: number) => Answer;

export interface ReceiverOptions {
  script?: Script;
  /**
   * everything: headers and bodies (tests read them); summaries: path, id, answer, signature (the
   * chaos suite's long runs); counts: only the ledger (the bench: throughput, not memory).
   */
  keep?: 'everything' | 'summaries' | 'counts';
  /** Idle keep-alive; longer than a sender's own (10 s in the webhook client) under sustained load. */
  keepAliveMs?: number;
  /** 0 (the default): a free port. */
  port?: number;
  clock?: () => number;
  /** Serves the ledger and takes keys under /_receiver/ (receiverControl.ts): a receiver in its own process. */
  control?: boolean;
  /** Called once per request, after its answer is chosen. */
  onRequest?: (request: Received, rawBody: Buffer, req: http.IncomingMessage) => void;
}

export interface Receiver {
  /** The default hook url: `<base>/hook`. */
  url: string;
  base: string;
  urlFor(path: string): string;
  requests: Received[];
  ledger: ReceiverLedger;
  /** Replaces the answers from now on. */
  script(next: Script): void;
  /** Checks signatures on `path` with this key too (a rotation adds one). */
  trust(path: string, key: string): void;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(scriptOrOptions: Script | ReceiverOptions = {}): Promise<Receiver> {
  const o: ReceiverOptions = typeof scriptOrOptions === 'function' ? { script: scriptOrOptions } : scriptOrOptions;
  const keep = o.keep ?? 'everything';
  const clock = o.clock ?? Date.now;
  let script: Script = o.script ?? (() => 200);
  let index = 0;
  const requests: Received[] = [];
  const ledger = new ReceiverLedger();
  const waiters: Array<() => void> = [];

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, at: number) => {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (o.control && path.startsWith(CONTROL_PREFIX)) return handleControl(ledger, req.method ?? 'GET', req.url ?? '/', raw, res);
    const webhookId = typeof req.headers['webhook-id'] === 'string' ? req.headers['webhook-id'] : '';
    const keys = ledger.keysFor(path);
    const received: Received = {
      headers: keep === 'everything' ? req.headers : {},
      body: keep === 'everything' ? raw.toString('utf8') : '',
      path,
      webhookId,
      at,
      status: 0,
      delayMs: 0,
      signatureValid: keys.length > 0 ? signatureValid(keys, raw, req.headers) : undefined,
    };
    if (keep !== 'counts') requests.push(received);
    waiters.splice(0).forEach((w) => w());
    const answer = script(received, index++);
    const { status, delayMs = 0, headers = {}, body = '' } = typeof answer === 'number' ? { status: answer } : answer;
    received.status = status;
    received.delayMs = delayMs;
    const answered = ledger.record(received, raw, req.headers);
    o.onRequest?.(received, raw, req);
    const reply = () => {
      // Past the sender's timeout the socket is gone: a late answer delivers nothing.
      if (res.destroyed) return;
      res.writeHead(status, headers).end(body);
      answered();
    };
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks), clock()));
  });
  const keepAliveMs = o.keepAliveMs ?? 1_000;
  server.keepAliveTimeout = keepAliveMs;
  if (keepAliveMs > 30_000) {
    server.headersTimeout = keepAliveMs + 1_000;
    server.requestTimeout = 0;
  }
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/hook`,
    base,
    urlFor: (path) => base + path,
    requests,
    ledger,
    script(next) {
      script = next;
    },
    trust: (path, key) => ledger.trust(path, key),
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
