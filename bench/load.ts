/**
 * Load shapes. Every loop is bounded twice, by count and by time, and stops by itself.
 *
 * - closedLoop: `concurrency` workers each start the next operation when the last one ends;
 *   it finds the saturation throughput (the system sets the pace).
 * - openLoop: operations start on a fixed schedule whatever the system does, and latency is
 *   measured from the scheduled time, so a stall shows in the percentiles instead of silently
 *   slowing the sender (no coordinated omission).
 */

/** Wall-clock ms with sub-ms precision; the receiver process uses the same clock. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ClosedLoopResult {
  started: number;
  ok: number;
  failed: number;
  startedAtMs: number;
  /** When the loop stopped starting operations (time or count reached). */
  stoppedAtMs: number;
  /** When the last operation in flight ended. */
  endedAtMs: number;
  /** Stopped because `maxOps` were started, not because the time was up (a tiny run). */
  byCount: boolean;
  /** Wall time of each successful completion, for rates over a window. */
  completions: number[];
}

export async function closedLoop(o: {
  concurrency: number;
  durationMs: number;
  maxOps: number;
  /** Resolves true on success. Must not throw for ordinary failures. */
  op: (i: number) => Promise<boolean>;
  /** Awaited before each operation starts (e.g. a cap on the delivery backlog). */
  gate?: () => Promise<void>;
  /** Called once, when the loop stops starting operations (the end of the measured window). */
  onStop?: () => void;
}): Promise<ClosedLoopResult> {
  const startedAtMs = nowMs();
  const deadline = startedAtMs + o.durationMs;
  let next = 0;
  let ok = 0;
  let failed = 0;
  let stoppedAtMs = 0;
  const completions: number[] = [];
  const more = () => next < o.maxOps && nowMs() < deadline;
  // A gate that never opens (deliveries stopped coming) must not hold the loop past its time.
  let deadlineTimer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => (deadlineTimer = setTimeout(resolve, o.durationMs)));
  async function lane(): Promise<void> {
    for (;;) {
      if (o.gate && more()) await Promise.race([o.gate(), timeUp]);
      if (!more()) {
        if (!stoppedAtMs) {
          stoppedAtMs = nowMs();
          o.onStop?.();
        }
        return;
      }
      const i = next++;
      let success = false;
      try {
        success = await o.op(i);
      } catch {
        success = false;
      }
      if (success) {
        ok++;
        completions.push(nowMs());
      } else failed++;
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  clearTimeout(deadlineTimer);
  return {
    started: next,
    ok,
    failed,
    startedAtMs,
    stoppedAtMs: stoppedAtMs || nowMs(),
    endedAtMs: nowMs(),
    byCount: next >= o.maxOps,
    completions,
  };
}

/** Successes per second within [fromMs, toMs]. */
export function rateIn(times: Iterable<number>, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  let n = 0;
  for (const t of times) if (t >= fromMs && t <= toMs) n++;
  return n / ((toMs - fromMs) / 1000);
}

/**
 * The measured window of a closed loop: after the warm-up, until the loop stopped starting work.
 * A loop stopped by its count (a small run) ends at `lastMs`, when its last result came in (the
 * last completion, or the last delivery); if the warm-up leaves too little, it counts from the start.
 */
export function measuredWindow(
  r: { startedAtMs: number; stoppedAtMs: number; byCount: boolean },
  warmupMs: number,
  lastMs: number,
): { fromMs: number; toMs: number } {
  const toMs = r.byCount ? Math.max(lastMs, r.startedAtMs + 1) : r.stoppedAtMs;
  const fromMs = toMs - (r.startedAtMs + warmupMs) >= 250 ? r.startedAtMs + warmupMs : r.startedAtMs;
  return { fromMs, toMs };
}

export async function openLoop(o: {
  ratePerS: number;
  durationMs: number;
  maxOps: number;
  /** Called at (or just after) its scheduled time; records its own latency from `scheduledMs`. */
  op: (i: number, scheduledMs: number) => Promise<void>;
}): Promise<{ sent: number; startedAtMs: number; lastScheduledMs: number; maxLagMs: number }> {
  const count = Math.max(1, Math.min(o.maxOps, Math.floor((o.ratePerS * o.durationMs) / 1000)));
  const intervalMs = 1000 / o.ratePerS;
  const t0 = nowMs() + 20;
  const inFlight: Array<Promise<void>> = [];
  let i = 0;
  let maxLagMs = 0;
  while (i < count) {
    const now = nowMs();
    // Start everything that is due, even if the sender itself fell behind: the schedule holds.
    while (i < count && t0 + i * intervalMs <= now) {
      const scheduled = t0 + i * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - scheduled);
      inFlight.push(o.op(i, scheduled).catch(() => undefined));
      i++;
    }
    if (i < count) await sleep(Math.max(0, t0 + i * intervalMs - nowMs()));
  }
  await Promise.all(inFlight);
  return { sent: count, startedAtMs: t0, lastScheduledMs: t0 + (count - 1) * intervalMs, maxLagMs };
}

/**
 * Bounds the work in flight end to end during a closed loop on ingestion: an event may be posted
 * only while fewer than `cap` deliveries are reserved (posted or being posted) and not yet
 * received. Ingestion (a workflow start) is much cheaper than a delivery, so without this the loop
 * would pile up an unbounded backlog in Temporal: the window would measure ingestion competing
 * with catching up, and the drain afterwards would take as long again. With the cap equal to the
 * temporal ceiling's concurrency, both closed loops keep the same amount of work outstanding.
 */
export class BacklogGate {
  private reserved = 0;
  private delivered = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly cap: number,
    private readonly countDelivered: () => Promise<number>,
    private readonly pollMs = 25,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      this.delivered = await this.countDelivered();
      this.release();
    } catch {
      // the next tick tries again
    } finally {
      this.polling = false;
    }
  }

  private fits(n: number): boolean {
    const outstanding = this.reserved - this.delivered;
    return outstanding === 0 || outstanding + n <= this.cap;
  }

  private release(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].n)) {
      const w = this.waiters.shift()!;
      this.reserved += w.n;
      w.resolve();
    }
  }

  /** Waits for room for an event of `n` deliveries, and reserves it. */
  acquire(n: number): Promise<void> {
    if (this.waiters.length === 0 && this.fits(n)) {
      this.reserved += n;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** The event was not accepted: its deliveries will never come. */
  cancel(n: number): void {
    this.reserved -= n;
    this.release();
  }
}
