/**
 * `npm run bench:worker-start [-- --runs N]`: how long a worker process takes from spawn to
 * running (and the CPU it spends on the way), bundling the workflows at start against a prebuilt
 * bundle (npm run build:workflows). What a crashed worker's restart or a scaled-out worker pays
 * before it takes work. Runs alternate between the two, on one dev server; prints one line each
 * and the medians.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processEnvironment } from '../src/config';
import { findTemporalCli } from '../src/temporal/cli';
import { writeWorkflowBundle } from '../src/temporal/workflowBundle';
import { startDevServerProcess, startRole, stopAll, stopStackOnExit } from '../test/helpers/processes';
import { loadToolSettings } from '../test/helpers/settings';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-worker-start-'));
  const settings = loadToolSettings(processEnvironment());
  const { baseEnv } = settings;
  const cliPath = findTemporalCli(settings.temporalCliPath, settings.path);
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundlePath);
  const server = await startDevServerProcess(cliPath, dataDir, baseEnv);
  const env = { ...baseEnv, DATA_DIR: dataDir, TEMPORAL_ADDRESS: server.address };
  const kinds = { 'bundled at start': path.join(dataDir, 'none.js'), prebuilt: bundlePath } as const;
  const results: Record<keyof typeof kinds, { wallS: number[]; cpuS: number[] }> = {
    'bundled at start': { wallS: [], cpuS: [] },
    prebuilt: { wallS: [], cpuS: [] },
  };
  try {
    // One unmeasured start: key generation, search attributes, a cold file cache.
    await (await startRole('worker', { ...env, CALLBACKS_WORKFLOW_BUNDLE: bundlePath }, dataDir)).stop();
    for (let i = 0; i < runs; i++) {
      for (const [kind, bundle] of Object.entries(kinds) as Array<[keyof typeof kinds, string]>) {
        const t0 = Date.now();
        const worker = await startRole('worker', { ...env, CALLBACKS_WORKFLOW_BUNDLE: bundle }, dataDir);
        const wallS = (Date.now() - t0) / 1000;
        const cpuS = worker.cpuSeconds();
        await worker.stop();
        results[kind].wallS.push(wallS);
        results[kind].cpuS.push(cpuS);
        console.log(`${kind}: running after ${wallS.toFixed(2)} s, ${cpuS.toFixed(2)} s of CPU`);
      }
    }
    for (const [kind, r] of Object.entries(results)) {
      console.log(`median ${kind} (${runs} runs): ${median(r.wallS).toFixed(2)} s, ${median(r.cpuS).toFixed(2)} s of CPU`);
    }
  } finally {
    await stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

stopStackOnExit('worker-start');
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
