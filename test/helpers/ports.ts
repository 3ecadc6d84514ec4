import net from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (32768–60999), which the OS hands out to every
 * `listen(0)` and outgoing connection: a port picked there could be taken, between the pick and the
 * bind, by a dev server's random HTTP or metrics port or by any client socket (seen as
 * EADDRINUSE at a service's start). Below it, only another deliberate pick can take it.
 */
const LOW = 20_000;
const HIGH = 32_768;
const handedOut = new Set<number>();

/** A port that was free a moment ago on loopback, and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} on 127.0.0.1`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
