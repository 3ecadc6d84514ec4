import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * CPU time and peak memory of a process from /proc (Linux only). CPU is summed over the process
 * and all its descendants, because a launcher may stand between the pid we spawned and the
 * program doing the work (the Temporal CLI is reached through a pyenv shim on some machines);
 * threads (Node's worker threads, the Temporal core SDK's Rust threads) count in their process.
 */

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks: its own CPU and that of children it reaped. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number) => Number(fields[field - 3]);
  return { ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) };
}

/** The pid and every descendant's pid, from one scan of /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by the process tree under `root`. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / clockTicks();
}

/** Peak resident set (VmHWM) in MiB of the largest process in the tree under `root`. */
export function peakRssMb(root: number): number {
  return treeMemoryMb(root, 'VmHWM');
}

/** A memory figure of /proc/<pid>/status (VmRSS: now, VmHWM: peak) in MiB, of the largest process in the tree. */
export function treeMemoryMb(root: number, field: 'VmRSS' | 'VmHWM'): number {
  const pattern = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm');
  let max = 0;
  for (const pid of processTree(root)) {
    try {
      const match = pattern.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) max = Math.max(max, Number(match[1]) / 1024);
    } catch {
      // gone
    }
  }
  return Math.round(max * 10) / 10;
}

/**
 * The whole machine's CPU seconds so far (all cores, from /proc/stat): busy (user, nice, system,
 * irq, softirq, steal) and iowait. Over a window, busy minus our processes' CPU is what other
 * programs took: on a shared machine that tells a disturbed run from a steady one.
 */
export function machineCpuSeconds(): { busy: number; iowait: number } {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, , iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: (user + nice + system + irq + softirq + (steal || 0)) / clockTicks(), iowait: iowait / clockTicks() };
  } catch {
    return { busy: 0, iowait: 0 };
  }
}
