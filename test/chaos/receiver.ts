import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * The customers' receivers, in the suite's own process: they fail `failRate` of requests with a
 * 500 and let `hangRate` hang for `hangMs` (past the endpoints' attempt timeout; then a 500 on
 * whatever socket is left), and answer 200 otherwise. Every request is recorded with its
 * `webhook-id`, path and answer, and its signature is checked with the `standardwebhooks` package
 * against every secret the path has had: during a rotation a request may carry the new secret's
 * signature only, or both (Standard Webhooks sends several, space-separated).
 */

export interface ReceivedRequest {
  path: string;
  webhookId: string;
  at: number;
  /** What the receiver answered: 200, 500, or 'hang'. */
  answer: 200 | 500 | 'hang';
  signatureValid: boolean;
}

export interface ChaosReceiverOptions {
  failRate: number;
  hangRate: number;
  hangMs: number;
  /** Deterministic runs: a seeded generator rather than Math.random. */
  seed: number;
}

/** mulberry32: small, seeded, good enough to pick faults. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function verifies(secrets: string[], body: Buffer, headers: http.IncomingHttpHeaders): boolean {
  const given = {
    'webhook-id': String(headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(headers['webhook-signature'] ?? ''),
  };
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(body, given);
      return true;
    } catch {
      return false;
    }
  });
}

export class ChaosReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests no known secret verified yet, kept whole: a rotation's new secret is learnt only once the API answers it. */
  private readonly unverified: Array<{ request: ReceivedRequest; body: Buffer; headers: http.IncomingHttpHeaders }> = [];
  /** Path → every secret it has had (rotation adds one). */
  private readonly secrets = new Map<string, string[]>();
  /** Path → webhook-ids answered 200, with a valid signature. */
  private readonly accepted = new Map<string, Set<string>>();
  private readonly random: () => number;
  private server?: http.Server;
  private port = 0;

  constructor(private readonly options: ChaosReceiverOptions) {
    this.random = seeded(options.seed);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  trust(path: string, secret: string): void {
    const list = this.secrets.get(path) ?? [];
    if (!list.includes(secret)) list.push(secret);
    this.secrets.set(path, list);
  }

  /** Whether `webhookId` was answered 200 on one of `paths`. */
  delivered(webhookId: string, paths: string[]): boolean {
    return paths.some((p) => this.accepted.get(p)?.has(webhookId));
  }

  /** Successful requests (200) so far under `prefix`. */
  successesUnder(prefix: string): number {
    let n = 0;
    for (const [p, ids] of this.accepted) if (p.startsWith(prefix)) n += ids.size;
    return n;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 61_000;
    server.requestTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const webhookId = String(req.headers['webhook-id'] ?? '');
    const signatureValid = verifies(this.secrets.get(path) ?? [], body, req.headers);
    const roll = this.random();
    const answer: ReceivedRequest['answer'] = roll < this.options.hangRate ? 'hang' : roll < this.options.hangRate + this.options.failRate ? 500 : 200;
    const request: ReceivedRequest = { path, webhookId, at: Date.now(), answer, signatureValid };
    this.requests.push(request);
    if (!signatureValid) this.unverified.push({ request, body, headers: req.headers });
    if (answer === 'hang') {
      // Past the attempt timeout the sender has given up: a late answer must not count as delivered.
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(500).end();
      }, this.options.hangMs);
      return;
    }
    if (answer === 500) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('chaos: failing on purpose');
      return;
    }
    if (signatureValid) this.accept(path, webhookId);
    res.writeHead(200, { 'content-length': 0 }).end();
  }

  private accept(path: string, webhookId: string): void {
    const ids = this.accepted.get(path) ?? new Set<string>();
    ids.add(webhookId);
    this.accepted.set(path, ids);
  }

  /** Checks again what no secret verified, with the secrets known now. */
  reverify(): void {
    for (let i = this.unverified.length - 1; i >= 0; i--) {
      const { request, body, headers } = this.unverified[i];
      if (!verifies(this.secrets.get(request.path) ?? [], body, headers)) continue;
      request.signatureValid = true;
      if (request.answer === 200) this.accept(request.path, request.webhookId);
      this.unverified.splice(i, 1);
    }
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
