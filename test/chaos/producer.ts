import { Pool } from 'undici';

/**
 * The load generator, behaving as a real producer: it posts each event until the API accepts it
 * (2xx), waiting out `Retry-After` on a 429 or 503, and retrying after a pause on a connection
 * error (the API is down), always with the same event id, so a retry of an event that was in fact
 * taken is a `200 duplicate` and nothing twice. Every answer is logged with when it was asked and
 * answered, so a scenario can check what the API said while a fault lasted.
 */

export interface Answer {
  id: string;
  /** Which API was asked: its index in `api` (0 with one API). */
  api: number;
  /** The HTTP status, or 0 for a connection error. */
  status: number;
  startedAt: number;
  at: number;
  retryAfter?: string;
}

export interface Production {
  /** Event id → when the API first accepted it. */
  accepted: Map<string, number>;
  answers: Answer[];
  /** Events given up on at the deadline (never acknowledged: not owed by the service). */
  abandoned: string[];
}

export interface ProduceOptions {
  /**
   * The API, or several (processes of one service): attempt k of event i goes to api[(i + k) % n],
   * so events are spread across them and a retry after a connection error asks another one.
   */
  api: string | string[];
  ids: string[];
  body: (id: string) => unknown;
  /** Requests in flight at most. */
  concurrency: number;
  /** New events a second (open loop); unset: as fast as `concurrency` allows. */
  ratePerS?: number;
  /** Stop retrying an event after this long from the start. */
  deadlineMs: number;
  /** Longest wait honoured from a Retry-After (seconds are coarse: 5 s is the API's 503). */
  maxRetryAfterMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Producer {
  readonly production: Production = { accepted: new Map(), answers: [], abandoned: [] };
  private readonly pools: Pool[];

  constructor(private readonly o: ProduceOptions) {
    const apis = typeof o.api === 'string' ? [o.api] : o.api;
    this.pools = apis.map((api) => new Pool(api, { connections: o.concurrency, keepAliveTimeout: 10_000, headersTimeout: 30_000, bodyTimeout: 30_000 }));
  }

  private async post(id: string, api: number): Promise<Answer> {
    const startedAt = Date.now();
    try {
      const res = await this.pools[api].request({
        path: '/v1/events',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(this.o.body(id)),
      });
      await res.body.text();
      const retryAfter = res.headers['retry-after'];
      return { id, api, status: res.statusCode, startedAt, at: Date.now(), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
    } catch {
      return { id, api, status: 0, startedAt, at: Date.now() };
    }
  }

  /** Posts one event until it is accepted or the deadline passes. */
  private async deliver(id: string, index: number, deadline: number): Promise<void> {
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const answer = await this.post(id, (index + attempt) % this.pools.length);
      this.production.answers.push(answer);
      if (answer.status >= 200 && answer.status < 300) {
        if (!this.production.accepted.has(id)) this.production.accepted.set(id, answer.at);
        return;
      }
      let waitMs = 250;
      if ((answer.status === 429 || answer.status === 503) && answer.retryAfter !== undefined) {
        waitMs = Math.min(this.o.maxRetryAfterMs ?? 10_000, Math.max(100, Number(answer.retryAfter) * 1000 || 1000));
      } else if (answer.status !== 0) {
        // Not an answer the API should give; still retried, as a producer would, and reported.
        waitMs = 1000;
      }
      await sleep(waitMs);
    }
    this.production.abandoned.push(id);
  }

  async run(): Promise<Production> {
    const started = Date.now();
    const deadline = started + this.o.deadlineMs;
    const intervalMs = this.o.ratePerS ? 1000 / this.o.ratePerS : 0;
    let next = 0;
    const lane = async () => {
      for (;;) {
        const i = next++;
        if (i >= this.o.ids.length) return;
        const due = started + i * intervalMs;
        if (due > Date.now()) await sleep(due - Date.now());
        await this.deliver(this.o.ids[i], i, deadline);
      }
    };
    try {
      await Promise.all(Array.from({ length: this.o.concurrency }, lane));
    } finally {
      await Promise.all(this.pools.map((pool) => pool.close().catch(() => undefined)));
    }
    return this.production;
  }
}
