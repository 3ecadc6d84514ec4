/**
 * The benchmark's webhook receiver, run as its own process so its CPU is not the service's nor
 * the load generator's. It records each request's first arrival time per (path, webhook-id),
 * counts duplicates, checks the Standard Webhooks `v1` signature when the bench registered the
 * path's secret, and answers 200 with an empty body at once.
 *
 * Control routes live under /_bench:
 *   PUT /_bench/secret            {"path": "/hooks/e2e", "secret": "whsec_..."}
 *   GET /_bench/count?prefix=P    {"distinct", "total"} over paths starting with P (cheap, polled)
 *   GET /_bench/arrivals?prefix=P {"<path>": {"<webhook-id>": firstArrivalEpochMs}}
 *   GET /_bench/stats             totals, duplicates, signature results, per path
 *
 * Prints one JSON line {"port": N} on stdout when listening. Exits when stdin closes (the bench
 * process died) or on SIGTERM.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

interface PathLog {
  /** webhook-id → first arrival (epoch ms, sub-ms precision) and how many times it came. */
  ids: Map<string, { first: number; count: number }>;
  total: number;
  duplicates: number;
}

const paths = new Map<string, PathLog>();
const secrets = new Map<string, Buffer>();
let invalidSignatures = 0;
let unsigned = 0;

/** Wall-clock ms with sub-ms precision; comparable with the bench process's own `nowMs()`. */
const nowMs = () => performance.timeOrigin + performance.now();

function validSignature(key: Buffer, id: string, headers: http.IncomingHttpHeaders, body: Buffer): boolean {
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((s) => {
    const [version, value] = s.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function record(path: string, headers: http.IncomingHttpHeaders, body: Buffer, at: number): void {
  const id = headers['webhook-id'];
  if (typeof id !== 'string') {
    unsigned++;
    return;
  }
  const key = secrets.get(path);
  if (key && !validSignature(key, id, headers, body)) invalidSignatures++;
  let log = paths.get(path);
  if (!log) paths.set(path, (log = { ids: new Map(), total: 0, duplicates: 0 }));
  log.total++;
  const seen = log.ids.get(id);
  if (seen) {
    seen.count++;
    log.duplicates++;
  } else log.ids.set(id, { first: at, count: 1 });
}

function matching(prefix: string): Array<[string, PathLog]> {
  return [...paths].filter(([p]) => p.startsWith(prefix));
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function control(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): void {
  const prefix = url.searchParams.get('prefix') ?? '/';
  if (req.method === 'PUT' && url.pathname === '/_bench/secret') {
    const { path, secret } = JSON.parse(body.toString('utf8')) as { path: string; secret: string };
    secrets.set(path, Buffer.from(secret.replace(/^whsec_/, ''), 'base64'));
    return json(res, 200, { ok: true });
  }
  if (url.pathname === '/_bench/count') {
    let distinct = 0;
    let total = 0;
    for (const [, log] of matching(prefix)) {
      distinct += log.ids.size;
      total += log.total;
    }
    return json(res, 200, { distinct, total });
  }
  if (url.pathname === '/_bench/arrivals') {
    const out: Record<string, Record<string, number>> = {};
    for (const [path, log] of matching(prefix)) {
      const ids: Record<string, number> = {};
      for (const [id, seen] of log.ids) ids[id] = seen.first;
      out[path] = ids;
    }
    return json(res, 200, out);
  }
  if (url.pathname === '/_bench/stats') {
    const byPath: Record<string, { distinct: number; total: number; duplicates: number }> = {};
    let distinct = 0;
    let total = 0;
    let duplicates = 0;
    for (const [path, log] of paths) {
      byPath[path] = { distinct: log.ids.size, total: log.total, duplicates: log.duplicates };
      distinct += log.ids.size;
      total += log.total;
      duplicates += log.duplicates;
    }
    return json(res, 200, { distinct, total, duplicates, invalidSignatures, unsigned, signatureChecked: [...secrets.keys()], byPath });
  }
  json(res, 404, { error: 'unknown control route' });
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = nowMs();
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (url.pathname.startsWith('/_bench/')) {
      try {
        return control(req, res, url, body);
      } catch (err) {
        return json(res, 400, { error: (err as Error).message });
      }
    }
    record(url.pathname, req.headers, body, at);
    res.writeHead(200, { 'content-length': 0 }).end();
  });
});
// Longer than the clients' keep-alive (10 s in the webhook client) so the client closes first
// and no request is sent on a socket the server is closing.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});

const quit = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
// The bench holds our stdin open; when it goes away, so do we.
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdin.resume();
