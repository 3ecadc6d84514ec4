import { settleLedger } from './ledger';
import { sampleMemory } from './memory';
import {
  chaosEndpoint, chaosProducer, formatCounts, judgeAnswers, receiverFaults,
  type ChaosContext, type Scenario, type ScenarioResult,
} from './scenario';

/**
 * Ingestion flooded at twice what the stack can deliver. The API runs with CALLBACKS_INGEST_RPS at
 * the delivery rate measured in the earlier scenarios (how an operator would size it), and the
 * producer sends at twice that: the API must answer 429 (or 503) with Retry-After, never fail; the
 * producer waits and retries; the API's and the worker's memory must stay under fixed bounds
 * while the backlog builds; and the backlog must drain afterwards.
 */

/**
 * About twice what each process settles at under this load (the API about 180 MiB, the worker
 * about 400): room for a busy moment, none for a buffer that grows with the backlog.
 */
export const RSS_BOUND_MB = { api: 350, worker: 800 };

/** Used when the flood runs alone, without earlier scenarios to measure the delivery rate. */
const DEFAULT_DELIVERY_RATE = 8;

export function floodScenario(o: { name: string; events: number }): Scenario {
  return {
    name: o.name,
    async run(ctx: ChaosContext): Promise<ScenarioResult> {
      const started = Date.now();
      const tag = `${o.name}-${ctx.runId}`;
      const capacity = ctx.deliveryRate.perS > 0 ? ctx.deliveryRate.perS : DEFAULT_DELIVERY_RATE;
      const ingestRps = Math.max(1, Math.round(capacity));
      const floodRate = 2 * capacity;
      await ctx.stack.api.stop();
      await ctx.stack.startApi(ingestRps);
      ctx.log(`    delivery rate ${capacity.toFixed(1)}/s: API limited to ${ingestRps} events/s, flooded at ${floodRate.toFixed(1)}/s`);
      const endpoint = await chaosEndpoint(ctx, tag, 'crm');
      const { ids, producer } = chaosProducer(ctx, tag, o.events, { concurrency: 64, ratePerS: floodRate });
      const memory = sampleMemory(() => ({ api: ctx.stack.api.pid, worker: ctx.stack.worker.pid }));
      let backlogPeak = 0;
      const backlogTimer = setInterval(() => {
        backlogPeak = Math.max(backlogPeak, producer.production.accepted.size - ctx.receiver.ledger.count(`/chaos/${tag}/`).distinct);
      }, 500);
      let production;
      let ledger;
      let rss;
      try {
        production = await producer.run();
        ctx.log(`    flood done: ${production.accepted.size} acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        ledger = await settleLedger({ accepted: production.accepted.keys(), endpoints: [endpoint], receiver: ctx.receiver, admin: ctx.admin, drainTimeoutMs: 240_000, log: ctx.log });
      } finally {
        clearInterval(backlogTimer);
        rss = memory.stop();
        // The next scenario (if any) gets the API as it was.
        await ctx.stack.api.stop();
        await ctx.stack.startApi(500);
      }

      const judged = judgeAnswers(production);
      const problems = [...judged.problems];
      const refused = (judged.counts['429'] ?? 0) + (judged.counts['503'] ?? 0);
      if (refused === 0) problems.push('the flood was never refused (no 429 or 503): it did not exceed the ingest limit');
      for (const role of ['api', 'worker'] as const) {
        const peak = rss[role]?.peakMb ?? 0;
        if (peak > RSS_BOUND_MB[role]) problems.push(`${role} RSS reached ${peak} MiB, over its ${RSS_BOUND_MB[role]} MiB bound`);
      }
      if (ledger.invalidSignatures > 0) problems.push(`${ledger.invalidSignatures} request(s) with an invalid signature`);
      const mem = (role: 'api' | 'worker') => `${role} ${rss[role]?.firstMb} -> peak ${rss[role]?.peakMb} -> ${rss[role]?.lastMb} MiB`;
      return {
        name: o.name,
        ledger,
        faults: [`flood at ${floodRate.toFixed(1)}/s against a limit of ${ingestRps}/s (${refused} refused with Retry-After)`],
        receiverFaults: receiverFaults(ctx.receiver, `/chaos/${tag}/`),
        problems,
        notes: [`API answers: ${formatCounts(judged.counts)}`, `RSS: ${mem('api')}, ${mem('worker')}`, `backlog peak: ${backlogPeak} deliveries`],
        totalMs: Date.now() - started,
      };
    },
  };
}
