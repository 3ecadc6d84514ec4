/**
 * `npm run build:workflows`: bundles workflows/ once, ahead of time, into dist/workflow-bundle.js
 * (or CALLBACKS_WORKFLOW_BUNDLE), so workers start without bundling. A worker uses the bundle only
 * while it matches the workflow code on disk and its tracing setting (src/temporal/workflowBundle.ts).
 */
import { loadConfig, processEnvironment } from '../src/config';
import { writeWorkflowBundle } from '../src/temporal/workflowBundle';

async function main(): Promise<void> {
  const config = loadConfig(processEnvironment());
  const { workflowBundlePath } = config.temporal;
  // The workers' setting: with traces on, their bundle carries the tracing interceptors.
  const tracing = Boolean(config.tracing);
  const t0 = Date.now();
  const { bytes, sourceHash } = await writeWorkflowBundle(workflowBundlePath, { tracing });
  console.log(
    `wrote ${workflowBundlePath} (${(bytes / 1024).toFixed(0)} KiB, workflows ${sourceHash.slice(0, 12)}${tracing ? ', with tracing' : ''}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
