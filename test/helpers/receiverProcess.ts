/**
 * The receiver (receiver.ts) as its own process, driven over /_receiver/ (receiverControl.ts):
 * the bench's, so its CPU is neither the service's nor the load generator's. It answers 200 with
 * an empty body and keeps only the ledger; at once, or, on a path with a segment `delay-<ms>`
 * (`/hooks/flood/delay-200/1`), after that many ms: a slow CRM. Prints one JSON line {"port": N} on stdout when
 * listening; exits when stdin closes (its parent died) or on SIGTERM.
 */
import { startReceiver } from './receiver';

/** Wall-clock ms with sub-ms precision: comparable with the bench process's own `nowMs()`. */
const nowMs = () => performance.timeOrigin + performance.now();

const delayOf = (path: string): number => Number(/\/delay-(\d{1,5})(?:\/|$)/.exec(path)?.[1] ?? 0);

async function main(): Promise<void> {
  const receiver = await startReceiver({
    keep: 'counts',
    // Longer than the clients' keep-alive (10 s in the webhook client) so the client closes first
    // and no request is sent on a socket the server is closing.
    keepAliveMs: 60_000,
    clock: nowMs,
    control: true,
    script: (r) => ({ status: 200, headers: { 'content-length': '0' }, delayMs: delayOf(r.path) }),
  });
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(receiver.base).port) })}\n`);
  const quit = () => {
    void receiver.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  process.stdin.on('end', quit);
  process.stdin.on('error', quit);
  process.stdin.resume();
}

void main();
