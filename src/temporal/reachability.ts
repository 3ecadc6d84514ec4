/**
 * Whether Temporal answers, as this process last saw it. Once a call has failed to reach it, other
 * calls fail at once (503 with Retry-After at the API) instead of each waiting out its own
 * deadline; one call at a time, at most one a second, still goes through as the trial, and the
 * first answer it (or any call) gets makes Temporal reachable again. A producer thus hears
 * "unavailable" at once during an outage rather than after the 10 s call deadline.
 */

const TRIAL_EVERY_MS = 1_000;

export class Reachability {
  private down = false;
  private trialOut = false;
  private lastTrialAt = 0;

  /** May a call go to Temporal now? False while it is known unreachable and this call is not the trial. */
  admit(): boolean {
    if (!this.down) return true;
    if (this.trialOut || Date.now() - this.lastTrialAt < TRIAL_EVERY_MS) return false;
    this.trialOut = true;
    this.lastTrialAt = Date.now();
    return true;
  }

  /** A call got an answer from Temporal. */
  answered(): void {
    this.down = false;
    this.trialOut = false;
  }

  /** A call failed to reach Temporal (or ran out of time). */
  failed(): void {
    if (!this.down) this.lastTrialAt = Date.now();
    this.down = true;
    this.trialOut = false;
  }
}
