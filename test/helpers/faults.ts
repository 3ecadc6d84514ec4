import type { Answer, Script } from './receiver';

/**
 * A customer's flaky receiver as a script: fails `failRate` of requests with a 500, lets
 * `hangRate` hang for `hangMs` (past the endpoints' attempt timeout; then a 500 on whatever socket
 * is left), and answers 200 otherwise. Seeded, so a run's faults are the same each time.
 */

export interface FaultOptions {
  failRate: number;
  hangRate: number;
  hangMs: number;
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

export function faultyScript(o: FaultOptions): Script {
  const random = seeded(o.seed);
  return (): Answer => {
    const roll = random();
    if (roll < o.hangRate) return { status: 500, delayMs: o.hangMs };
    if (roll < o.hangRate + o.failRate) return { status: 500, headers: { 'content-type': 'text/plain' }, body: 'chaos: failing on purpose' };
    return { status: 200, headers: { 'content-length': '0' } };
  };
}

/** A hang, as faultyScript answers it: a delayed answer. */
export const isHang = (r: { delayMs: number }) => r.delayMs > 0;
