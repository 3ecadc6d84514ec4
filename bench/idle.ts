import type { CpuSource } from './stacks';

/**
 * Cores each process group keeps busy with no load at all: the pollers' long polls, timers,
 * Temporal's own background work. On a machine with fewer cores than processes this is what an
 * added worker costs before it takes any work, and the floor under every per-delivery figure.
 */
export async function idleCores(groups: Record<string, CpuSource>, ms: number): Promise<Record<string, number>> {
  const before = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g.cpuSeconds()]));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const seconds = Math.max(0.001, (Date.now() - t0) / 1000);
  return Object.fromEntries(
    Object.entries(groups).map(([k, g]) => [k, Math.round(((g.cpuSeconds() - before[k]) / seconds) * 1000) / 1000]),
  );
}
