import { settleLedger } from './ledger';
import {
  chaosEndpoint, chaosProducer, formatCounts, judgeAnswers, receiverFaults, until,
  type ChaosContext, type Scenario, type ScenarioResult,
} from './scenario';

/**
 * An operator changing endpoints while their deliveries are in flight. Every event goes to four
 * endpoints on failing receivers; once a third of the burst is acknowledged:
 *
 * - `moved`: its url is edited to another path (retries go to the new url; both count);
 * - `paused`: it is disabled (deliveries are held, never dropped), and enabled again at two thirds;
 * - `rotated`: its secret is rotated with no grace period (requests signed before verify with the
 *   old secret, after with the new one; the receiver trusts both, as Standard Webhooks intends);
 * - `deleted`: deleted at two thirds: its deliveries not yet made are discarded with the reason
 *   "the endpoint was deleted", and events matched after that have none: both are legitimate.
 */

export function endpointScenario(o: { name: string; events: number; concurrency: number }): Scenario {
  return {
    name: o.name,
    async run(ctx: ChaosContext): Promise<ScenarioResult> {
      const started = Date.now();
      const tag = `${o.name}-${ctx.runId}`;
      const moved = await chaosEndpoint(ctx, tag, 'moved');
      const paused = await chaosEndpoint(ctx, tag, 'paused');
      const rotated = await chaosEndpoint(ctx, tag, 'rotated');
      const deleted = await chaosEndpoint(ctx, tag, 'deleted');
      const { ids, producer } = chaosProducer(ctx, tag, o.events, { concurrency: o.concurrency });
      const producing = producer.run();
      const accepted = producer.production.accepted;
      const faults: string[] = [];

      await until(() => accepted.size >= o.events / 3 && ctx.receiver.ledger.count(`/chaos/${tag}/`).distinct > 0, 180_000, 'a third of the burst');
      const newPath = `/chaos/${tag}/moved-elsewhere`;
      // Trusted first: the first request to the new url may come before the PATCH answers.
      ctx.receiver.trust(newPath, moved.secret);
      moved.paths.push(newPath);
      await ctx.admin.patchEndpoint(moved.id, { url: ctx.receiver.urlFor(newPath) });
      await ctx.admin.patchEndpoint(paused.id, { disabled: true });
      const rotation = await ctx.admin.rotateSecret(rotated.id, 0);
      ctx.receiver.trust(rotated.paths[0], rotation.secret);
      faults.push('url edited', 'disabled', 'secret rotated (no grace)');
      ctx.log(`    at ${accepted.size}/${o.events} acknowledged: moved ${moved.id}, disabled ${paused.id}, rotated ${rotated.id}'s secret`);

      await until(() => accepted.size >= (o.events * 2) / 3, 180_000, 'two thirds of the burst');
      await ctx.admin.deleteEndpoint(deleted.id);
      deleted.deleted = true;
      await ctx.admin.patchEndpoint(paused.id, { disabled: false });
      faults.push('deleted', 'enabled again');
      ctx.log(`    at ${accepted.size}/${o.events} acknowledged: deleted ${deleted.id}, enabled ${paused.id} again`);

      const production = await producing;
      const judged = judgeAnswers(production);
      const ledger = await settleLedger({
        accepted: accepted.keys(),
        endpoints: [moved, paused, rotated, deleted],
        receiver: ctx.receiver,
        admin: ctx.admin,
        drainTimeoutMs: 180_000,
        log: ctx.log,
      });
      const problems = [...judged.problems];
      if (ledger.invalidSignatures > 0) problems.push(`${ledger.invalidSignatures} request(s) with an invalid signature`);
      const onNewUrl = ctx.receiver.requests.filter((r) => r.path === newPath).length;
      if (onNewUrl === 0) problems.push('no request reached the edited url');
      return {
        name: o.name,
        ledger,
        faults,
        receiverFaults: receiverFaults(ctx.receiver, `/chaos/${tag}/`),
        problems,
        notes: [`API answers: ${formatCounts(judged.counts)}`, `requests to the edited url: ${onNewUrl}`],
        totalMs: Date.now() - started,
      };
    },
  };
}
