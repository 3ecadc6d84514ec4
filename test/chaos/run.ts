/**
 * `npm run test:chaos [-- --only worker-kill,flood] [--keep] [--service-env K=V ...]`: the fault-tolerance suite. Starts the
 * stack as separate processes (test/helpers/processStack.ts) and a failing receiver, runs each scenario in
 * turn against it, and prints one summary line per scenario. Exits 1 when any acknowledged event
 * was lost, a signature did not verify, the API answered what it must not, or a scenario could not
 * run. The data directory (with every process's log) is kept on failure, or with --keep.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processEnvironment } from '../../src/config';
import { faultyScript } from '../helpers/faults';
import { stopAll, stopStackOnExit } from '../helpers/processes';
import { ProcessStack } from '../helpers/processStack';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { loadToolSettings } from '../helpers/settings';
import { serviceEnvPair } from '../helpers/serviceEnvArg';
import { Admin } from './admin';
import type { ChaosContext, Scenario, ScenarioResult } from './scenario';
import { summaryLine } from './summary';
import { scenarios } from './scenarios';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const onlyArg = args.find((a, i) => args[i - 1] === '--only');
  const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
  const keep = args.includes('--keep');
  // `--service-env K=V` (repeatable): a setting for the service's processes, as the bench takes it.
  const env: Record<string, string> = {};
  for (const [i, a] of args.entries()) {
    if (a !== '--service-env') continue;
    const pair = serviceEnvPair(args[i + 1]);
    if (!pair) {
      process.stderr.write('--service-env needs KEY=VALUE\n');
      return 2;
    }
    env[pair[0]] = pair[1];
  }
  const chosen: Scenario[] = scenarios.filter((s) => !only || only.has(s.name));
  if (chosen.length === 0) {
    process.stderr.write(`no scenario matches; known: ${scenarios.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const t0 = Date.now();
  const log = (msg: string) => process.stderr.write(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  const settings = loadToolSettings(processEnvironment());
  const stack = new ProcessStack({ settings, ingestRps: 500, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-chaos-')), env });
  let receiver: Receiver | undefined;
  const results: ScenarioResult[] = [];
  let failed = false;
  let passed = 0;
  try {
    receiver = await startReceiver({
      script: faultyScript({ failRate: 0.3, hangRate: 0.03, hangMs: 2_500, seed: 20261129 }),
      // The ledger and the scenarios read each request's summary, not its body.
      keep: 'summaries',
      keepAliveMs: 60_000,
    });
    log(`starting the stack in ${stack.dataDir}`);
    await stack.start();
    log(`stack up: API ${stack.apiUrl}, Temporal ${stack.temporalAddress}`);
    const ctx: ChaosContext = {
      stack,
      receiver,
      admin: new Admin(() => stack.apiUrl),
      runId: randomBytes(2).toString('hex'),
      log,
      deliveryRate: { perS: 0 },
    };
    for (const scenario of chosen) {
      log(`scenario ${scenario.name}`);
      try {
        const result = await scenario.run(ctx);
        results.push(result);
        for (const note of result.notes) log(`    ${note}`);
        for (const problem of result.problems) log(`    PROBLEM: ${problem}`);
        for (const sample of result.ledger.lostSamples) log(`    lost: ${sample}`);
        process.stdout.write(`${summaryLine(result)}\n`);
        if (result.ledger.lost > 0 || result.problems.length > 0) failed = true;
        else passed += 1;
      } catch (err) {
        failed = true;
        process.stdout.write(`chaos ${scenario.name}: could not run: ${(err as Error).stack ?? String(err)}\n`);
        // A scenario that broke off may have left a process down: the next one needs the stack whole.
        for (const role of ['server', 'worker', 'api'] as const) {
          const { child } = stack.proc(role);
          if (child.exitCode !== null || child.signalCode !== null) await stack.restart(role);
        }
      }
    }
  } catch (err) {
    failed = true;
    log(`failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await stopAll();
    await receiver?.close();
  }
  process.stdout.write(`chaos: ${results.length}/${chosen.length} scenario(s) ran in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${failed ? 'FAILED' : 'ok'}\n`);
  // The plain closing line test tooling reads (each scenario is one test): the last line printed.
  process.stdout.write(`chaos: ${passed} passed, ${chosen.length - passed} failed\n`);
  const kept = stack.cleanup(failed || keep);
  if (kept) log(`kept ${kept} (logs: bench-*.log, temporal-server.log)`);
  return failed ? 1 : 0;
}

stopStackOnExit('chaos');

main().then((code) => process.exit(code));
