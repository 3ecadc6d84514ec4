import { settleLedger } from './ledger';
import {
  chaosEndpoint, chaosProducer, formatCounts, judgeAnswers, peakRate, receiverFaults, sleep, until,
  type ChaosContext, type Scenario, type ScenarioResult,
} from './scenario';
import type { Role } from '../helpers/processStack';

/**
 * A burst of events to one failing receiver, and one process of the stack SIGKILLed in the middle
 * of it (once `killAtFraction` of the burst is acknowledged and deliveries are under way), then
 * restarted after `downMs` on the same database and port. The producer keeps going throughout.
 *
 * - worker: workflow and activity tasks it held time out and run again on the new worker;
 * - server: the API answers 503 with Retry-After while it is down, never a 2xx; the producer waits
 *   and retries with the same ids; everything Temporal acknowledged survives in its database;
 * - api: requests in flight are cut off (the producer retries them: a 200 duplicate when the
 *   event was in fact taken); what was acknowledged before the kill is in Temporal already.
 */

export interface KillScenarioOptions {
  name: string;
  role: Role;
  events: number;
  killAtFraction: number;
  downMs: number;
  concurrency: number;
}

export function killScenario(o: KillScenarioOptions): Scenario {
  return {
    name: o.name,
    async run(ctx: ChaosContext): Promise<ScenarioResult> {
      const started = Date.now();
      const tag = `${o.name}-${ctx.runId}`;
      const endpoint = await chaosEndpoint(ctx, tag, 'crm');
      const { ids, producer } = chaosProducer(ctx, tag, o.events, { concurrency: o.concurrency, maxRetryAfterMs: 5_000 });
      const producing = producer.run();
      const accepted = producer.production.accepted;
      await until(
        () => accepted.size >= o.events * o.killAtFraction && ctx.receiver.ledger.count(`/chaos/${tag}/`).distinct > 0,
        180_000,
        `${o.killAtFraction * 100} % of the burst to be acknowledged`,
      );
      const acceptedBeforeKill = accepted.size;
      const deliveredBeforeKill = ctx.receiver.ledger.count(`/chaos/${tag}/`).distinct;
      const killedAt = Date.now();
      await ctx.stack.kill(o.role);
      ctx.log(`    SIGKILL ${o.role} at ${acceptedBeforeKill}/${o.events} acknowledged, ${deliveredBeforeKill} delivered`);
      await sleep(o.downMs);
      const restartAt = Date.now();
      await ctx.stack.restart(o.role);
      const upAt = Date.now();
      ctx.log(`    ${o.role} back after ${((upAt - killedAt) / 1000).toFixed(1)} s`);
      const production = await producing;
      ctx.log(`    burst done: ${accepted.size} acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const judged = judgeAnswers(production, {
        connectionErrorsAllowed: o.role === 'api' ? { from: killedAt, to: upAt } : undefined,
        no2xx: o.role === 'server' ? { from: killedAt, to: restartAt } : undefined,
      });
      if (o.role === 'server') {
        const refusedWhileDown = production.answers.filter((a) => a.status === 503 && a.startedAt >= killedAt && a.at <= upAt).length;
        if (refusedWhileDown === 0) judged.problems.push('the API never answered 503 while Temporal was down');
      }

      const ledger = await settleLedger({ accepted: accepted.keys(), endpoints: [endpoint], receiver: ctx.receiver, admin: ctx.admin, drainTimeoutMs: 180_000, log: ctx.log });
      ctx.deliveryRate.perS = Math.max(ctx.deliveryRate.perS, peakRate(ctx.receiver, `/chaos/${tag}/`));
      const problems = [...judged.problems];
      if (ledger.invalidSignatures > 0) problems.push(`${ledger.invalidSignatures} request(s) with an invalid signature`);
      return {
        name: o.name,
        ledger,
        faults: [`SIGKILL ${o.role} (down ${((upAt - killedAt) / 1000).toFixed(1)} s)`],
        receiverFaults: receiverFaults(ctx.receiver, `/chaos/${tag}/`),
        problems,
        notes: [`API answers: ${formatCounts(judged.counts)}`, `acknowledged before the kill: ${acceptedBeforeKill}`],
        totalMs: Date.now() - started,
      };
    },
  };
}
