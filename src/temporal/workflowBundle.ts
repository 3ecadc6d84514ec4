import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/**
 * The workflow bundle, built ahead of time (`npm run build:workflows`) so that a worker starts in
 * seconds less: bundling at start costs ~2.5 s and ~3.3 s of CPU on 2 cores, which every worker
 * restart and every scaled-out worker pays again. A bundle is used only while it was built from
 * exactly the workflow code and SDK on disk; a stale one would run other code than the activities
 * next to it, so the worker bundles at start instead (and says why).
 */

/** The workflow code: bundled ahead of time, or by the worker at start. */
export const WORKFLOWS_DIR = path.resolve(__dirname, '../../workflows');

/**
 * With traces on (docs/tracing.md) the bundle carries the OpenTelemetry workflow interceptors;
 * without, it carries none, so a service without tracing runs exactly the workflow code it did.
 */
export const TRACING_WORKFLOW_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export interface BundleOptions {
  tracing?: boolean;
}

const versionOf = (pkg: string) => (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;

/** What a bundle was built from: workflows/ (deterministic code only, importing nothing else but types), the SDK, and the interceptors. */
export function workflowSourceHash(workflowsDir = WORKFLOWS_DIR, { tracing = false }: BundleOptions = {}): string {
  const hash = createHash('sha256');
  hash.update(`@temporalio/workflow@${versionOf('@temporalio/workflow')}\0`);
  if (tracing) hash.update(`@temporalio/interceptors-opentelemetry@${versionOf('@temporalio/interceptors-opentelemetry')}\0`);
  for (const file of listSources(workflowsDir)) {
    hash.update(`${path.relative(workflowsDir, file)}\0`);
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function listSources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listSources(full);
      return /\.[cm]?[jt]s$/.test(entry.name) ? [full] : [];
    })
    .sort();
}

const quietLogger = {
  log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg),
};

/** Bundles workflows/ now: what the worker does at start without a prebuilt bundle, and what tests share. */
export function bundleWorkflows({ tracing = false }: BundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve(WORKFLOWS_DIR),
    ...(tracing ? { workflowInterceptorModules: TRACING_WORKFLOW_MODULES } : {}),
    logger: quietLogger,
  });
}

const manifestPath = (bundlePath: string) => `${bundlePath}.json`;

interface Manifest {
  sourceHash: string;
  builtAt: string;
  /** Built with the tracing interceptors (absent in manifests from before traces: without). */
  tracing?: boolean;
}

/** Writes the bundle and, beside it, what it was built from. */
export async function writeWorkflowBundle(bundlePath: string, options: BundleOptions = {}): Promise<{ bytes: number; sourceHash: string }> {
  const sourceHash = workflowSourceHash(WORKFLOWS_DIR, options);
  const { code } = await bundleWorkflows(options);
  fs.mkdirSync(path.dirname(bundlePath), { recursive: true });
  // The manifest goes last and the bundle through a rename: a reader never pairs a manifest with half a bundle.
  fs.writeFileSync(`${bundlePath}.tmp`, code);
  fs.renameSync(`${bundlePath}.tmp`, bundlePath);
  const manifest: Manifest = { sourceHash, builtAt: new Date().toISOString(), tracing: Boolean(options.tracing) };
  fs.writeFileSync(manifestPath(bundlePath), `${JSON.stringify(manifest, null, 2)}\n`);
  return { bytes: Buffer.byteLength(code), sourceHash };
}

export type PrebuiltBundle =
  | { use: true; codePath: string }
  | { use: false; reason: 'missing' | 'stale' | 'unreadable'; detail: string };

/** The prebuilt bundle at `bundlePath` when it matches the code on disk and the tracing setting; else why not. */
export function prebuiltWorkflowBundle(bundlePath: string, options: BundleOptions = {}): PrebuiltBundle {
  if (!fs.existsSync(bundlePath)) return { use: false, reason: 'missing', detail: `no workflow bundle at ${bundlePath}` };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath(bundlePath), 'utf8')) as Manifest;
  } catch (err) {
    return { use: false, reason: 'unreadable', detail: `cannot read ${manifestPath(bundlePath)}: ${(err as Error).message}` };
  }
  const tracing = Boolean(options.tracing);
  if (Boolean(manifest.tracing) !== tracing) {
    return {
      use: false,
      reason: 'stale',
      detail: `the workflow bundle at ${bundlePath} was built ${manifest.tracing ? 'with' : 'without'} the tracing interceptors, and tracing is ${
        tracing ? 'on' : 'off'
      }; run npm run build:workflows with the same OTEL_EXPORTER_OTLP_ENDPOINT setting`,
    };
  }
  if (manifest.sourceHash !== workflowSourceHash(WORKFLOWS_DIR, options)) {
    return {
      use: false,
      reason: 'stale',
      detail: `the workflow bundle at ${bundlePath} (built ${manifest.builtAt}) is older than the workflow code; run npm run build:workflows`,
    };
  }
  return { use: true, codePath: bundlePath };
}
