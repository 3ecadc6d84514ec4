import { setMaxListeners } from 'node:events';
/**
 * Whether Temporal answers, as this process last saw it. Once a call has failed to reach it, other
 * calls fail at once (503 with Retry-After at the API) instead of each waiting out its own
 * deadline; one call at a time, at most one a second, still goes through as the trial, and the
 * first answer it (or any call) gets makes Temporal reachable again. A producer thus hears
 * "unavailable" at once during an outage rather than after the 10 s call deadline.
 *
 * Calls already in flight when the connection breaks would otherwise wait out their deadline too
 * (the client retries a refused connection until then): `lost()` (the connection watch,
 * connectionWatch.ts) aborts them through `signal`, and starts an outage as a failed call does.
 */

const TRIAL_EVERY_MS = 1_000;

export class Reachability {
  private down = false;
  private trialOut = false;
  private lastTrialAt = 0;
  private inFlight = callsSignal();

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

  /** Aborted when the connection breaks: a call takes the signal current when it starts. */
  get signal(): AbortSignal {
    return this.inFlight.signal;
  }

  /** The connection to Temporal broke: every call in flight fails now, and an outage begins. */
  lost(): void {
    this.failed();
    this.cancelInFlight(new Error('the connection to Temporal broke'));
  }

  /**
   * Ends every call in flight (the process is stopping). A call still running when its connection
   * closes would end UNAVAILABLE, and the client's retry would then start a new call on the closed
   * channel from a timer: an uncaught error. Cancelled, it is not retried.
   */
  cancelInFlight(reason: Error): void {
    const current = this.inFlight;
    // Calls from now on get a fresh signal: only those in flight now are aborted.
    this.inFlight = callsSignal();
    current.abort(reason);
  }
}

/**
 * One controller for every call in flight: each adds an abort listener and removes it when it
 * settles, so more than Node's default of 10 at once is the normal case, not a leak.
 */
function callsSignal(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
