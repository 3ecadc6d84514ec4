/**
 * `npm run build:workflows`: bundles workflows/ once, ahead of time, into dist/workflow-bundle.js
 * (or CALLBACKS_WORKFLOW_BUNDLE), so workers start without bundling. A worker uses the bundle only
 * while it matches the workflow code on disk (src/temporal/workflowBundle.ts).
 */
import { loadConfig, processEnvironment } from '../src/config';
import { writeWorkflowBundle } from '../src/temporal/workflowBundle';

async function main(): Promise<void> {
  const { workflowBundlePath } = loadConfig(processEnvironment()).temporal;
  const t0 = Date.now();
  const { bytes, sourceHash } = await writeWorkflowBundle(workflowBundlePath);
  console.log(
    `wrote ${workflowBundlePath} (${(bytes / 1024).toFixed(0)} KiB, workflows ${sourceHash.slice(0, 12)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
