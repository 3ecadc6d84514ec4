import type { Admin } from '../chaos/admin';
import { settleLedger } from '../chaos/ledger';
import type { Production } from '../chaos/producer';
import { chaosEndpoint, chaosProducer, formatCounts, judgeAnswers, peakRate, receiverFaults, sleep, until, type ScenarioResult } from '../chaos/scenario';
import type { Receiver } from '../helpers/receiver';
import type { Topology } from './topology';

/**
 * The chaos ledger on the scaled-out service: one burst of events, spread by the producer across
 * both APIs at a steady rate, to one endpoint on a failing receiver, while, one after the other,
 * one API is SIGKILLed (and restarted on its port), one worker is SIGKILLed (and restarted), the
 * Temporal server is restarted (SIGTERM, then started again on its databases and address) and
 * PostgreSQL is restarted (on its port). Each fault waits for the one before it to be over and
 * deliveries to flow again. The ledger's rules are the chaos suite's (test/chaos/ledger.ts): every
 * acknowledged event delivered with a valid signature or in review with a reason, none lost.
 */

export interface ClusterChaosOptions {
  name: string;
  events: number;
  /** New events a second: the burst lasts events / ratePerS seconds, long enough for all four faults. */
  ratePerS: number;
  /** When each fault starts: the fraction of the burst acknowledged by then. */
  at: { api: number; worker: number; server: number; postgres: number };
}

/** How long each fault took, from its start until the service served and delivered again. */
export type Recoveries = Record<'api' | 'worker' | 'server' | 'postgres', number>;

export async function clusterChaos(
  o: ClusterChaosOptions,
  ctx: { topology: Topology; receiver: Receiver; admin: Admin; runId: string; log: (msg: string) => void },
): Promise<ScenarioResult & { recoveries: Recoveries; peakPerS: number }> {
  const started = Date.now();
  const { topology, receiver, log } = ctx;
  const tag = `${o.name}-${ctx.runId}`;
  const prefix = `/chaos/${tag}/`;
  const endpoint = await chaosEndpoint(ctx, tag, 'crm');
  const { producer } = chaosProducer({ apis: topology.apiUrls }, tag, o.events, { concurrency: 8, ratePerS: o.ratePerS, maxRetryAfterMs: 5_000 });
  const producing = producer.run();
  const { accepted, answers } = producer.production;
  const reached = (fraction: number, what: string) => until(() => accepted.size >= o.events * fraction, 180_000, what);
  const state = () => `${accepted.size}/${o.events} acknowledged, ${receiver.ledger.count(prefix).distinct} delivered`;
  /** Resolves when an API answers 2xx to a request sent after `since`, and the receiver accepts a request that came after it. */
  const flowing = async (since: number, what: string, api?: number) => {
    await until(() => answers.some((a) => a.startedAt > since && a.status >= 200 && a.status < 300 && (api === undefined || a.api === api)), 120_000, `${what}: an event acknowledged`);
    const acknowledgedAfter = Date.now() - since;
    await until(() => receiver.requests.some((r) => r.path.startsWith(prefix) && r.at > since && r.status === 200), 120_000, `${what}: a delivery`);
    // Which of the two came back last says where a slow recovery was spent.
    log(`    ${what}: an event acknowledged ${(acknowledgedAfter / 1000).toFixed(1)} s and a delivery ${((Date.now() - since) / 1000).toFixed(1)} s after`);
  };
  const recoveries = {} as Recoveries;
  const faults: string[] = [];

  await reached(o.at.api, 'the API kill');
  const apiKilledAt = Date.now();
  await topology.kill('api', 0);
  log(`    SIGKILL api-1 at ${state()}`);
  await sleep(2_000);
  await topology.restart('api', 0);
  const apiUpAt = Date.now();
  await flowing(apiUpAt, 'api-1 back', 0);
  recoveries.api = Date.now() - apiKilledAt;
  faults.push(`SIGKILL api-1 (serving again after ${(recoveries.api / 1000).toFixed(1)} s)`);
  log(`    api-1 serving again after ${(recoveries.api / 1000).toFixed(1)} s`);

  await reached(o.at.worker, 'the worker kill');
  const workerKilledAt = Date.now();
  await topology.kill('worker', 0);
  log(`    SIGKILL worker-1 at ${state()}`);
  await topology.restart('worker', 0);
  recoveries.worker = Date.now() - workerKilledAt;
  faults.push(`SIGKILL worker-1 (replaced in ${(recoveries.worker / 1000).toFixed(1)} s)`);
  log(`    worker-1 running again after ${(recoveries.worker / 1000).toFixed(1)} s`);

  await reached(o.at.server, 'the Temporal restart');
  const serverStoppingAt = Date.now();
  log(`    restarting the Temporal server at ${state()}`);
  await topology.cluster.stopServer();
  const serverDownAt = Date.now();
  // Down for a while, so the check that nothing is acknowledged meanwhile has a window to hold in.
  await sleep(3_000);
  const serverStartingAt = Date.now();
  await topology.cluster.startServer();
  const serverStartedAt = Date.now();
  await flowing(serverStartedAt, 'after the Temporal restart');
  recoveries.server = Date.now() - serverStoppingAt;
  faults.push(`Temporal server restarted (down ${((serverStartedAt - serverDownAt) / 1000).toFixed(1)} s with its start, flowing again after ${(recoveries.server / 1000).toFixed(1)} s)`);
  log(`    Temporal server stopped in ${((serverDownAt - serverStoppingAt) / 1000).toFixed(1)} s, started in ${((serverStartedAt - serverDownAt) / 1000).toFixed(1)} s; events and deliveries flowing again after ${(recoveries.server / 1000).toFixed(1)} s`);

  await reached(o.at.postgres, 'the PostgreSQL restart');
  const pgStoppingAt = Date.now();
  log(`    restarting PostgreSQL at ${state()}`);
  await topology.cluster.stopPostgres();
  await sleep(2_000);
  await topology.cluster.startPostgres();
  const pgUpAt = Date.now();
  await flowing(pgUpAt, 'after the PostgreSQL restart');
  recoveries.postgres = Date.now() - pgStoppingAt;
  faults.push(`PostgreSQL restarted (down ${((pgUpAt - pgStoppingAt) / 1000).toFixed(1)} s, flowing again after ${(recoveries.postgres / 1000).toFixed(1)} s)`);
  log(`    PostgreSQL back after ${((pgUpAt - pgStoppingAt) / 1000).toFixed(1)} s; events and deliveries flowing again after ${(recoveries.postgres / 1000).toFixed(1)} s`);

  const production: Production = await producing;
  log(`    burst done: ${accepted.size} acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const judged = judgeAnswers(production, {
    // Refused or cut off only by the API that was down, while it was.
    connectionErrorsAllowed: { from: apiKilledAt, to: apiUpAt, api: 0 },
    // Sent once the server had stopped, answered before its start began: nothing may be acknowledged.
    // (It serves before the start script returns, which also waits for the namespace.)
    no2xx: { from: serverDownAt, to: serverStartingAt },
  });
  const ledger = await settleLedger({ accepted: accepted.keys(), endpoints: [endpoint], receiver, admin: ctx.admin, drainTimeoutMs: 150_000, log });
  const problems = [...judged.problems];
  if (ledger.invalidSignatures > 0) problems.push(`${ledger.invalidSignatures} request(s) with an invalid signature`);
  return {
    name: o.name,
    ledger,
    faults,
    receiverFaults: receiverFaults(receiver, prefix),
    problems,
    notes: [`API answers: ${formatCounts(judged.counts)}`, `answers by API: ${formatCounts(countBy(production, (a) => `api-${a.api + 1}`))}`],
    totalMs: Date.now() - started,
    recoveries,
    peakPerS: peakRate(receiver, prefix),
  };
}

function countBy(production: Production, key: (a: Production['answers'][number]) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of production.answers) out[key(a)] = (out[key(a)] ?? 0) + 1;
  return out;
}
