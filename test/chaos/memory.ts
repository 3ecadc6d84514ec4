import { treeMemoryMb } from '../helpers/procstat';

/**
 * Resident memory of a process now (VmRSS, the largest process in its tree), sampled through a
 * fault to show it stays bounded. test/helpers/procstat.ts reads the peak (VmHWM) instead, which only
 * says the worst since start.
 */

export function rssMb(root: number): number {
  return treeMemoryMb(root, 'VmRSS');
}

export interface MemorySampler {
  stop(): Record<string, { firstMb: number; peakMb: number; lastMb: number }>;
}

/** Samples each named process every `everyMs` until stopped. */
export function sampleMemory(pids: () => Record<string, number>, everyMs = 1_000): MemorySampler {
  const seen: Record<string, { firstMb: number; peakMb: number; lastMb: number }> = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(pids())) {
      const mb = rssMb(pid);
      if (mb === 0) continue;
      const s = (seen[name] ??= { firstMb: mb, peakMb: mb, lastMb: mb });
      s.peakMb = Math.max(s.peakMb, mb);
      s.lastMb = mb;
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return seen;
    },
  };
}
