import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createReferenceTokens } from '../../src/crypto/referenceTokens';
import type { References } from '../../src/domain/references';
import { createTemporalServices, type TemporalServices } from '../../src/temporal/services';
import { createWebhookClient, type WebhookClient } from '../../src/http/webhookClient';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { createWorker } from '../../src/temporal/worker';
import { createTransformPool, type TransformRunner } from '../../src/transforms/pool';
import { bundleWorkflows } from '../../src/temporal/workflowBundle';

/**
 * The service's worker side in the test's own process, wired as src/runtime.ts wires it: the
 * store, the outbound client, the Temporal services and a running worker. Shared by the stack on
 * a dev server (stack.ts) and the one on the time-skipping test server (timeSkipping.ts); what
 * differs between them is the Temporal server and its connections, passed in. Its transform pool
 * serves the test's API too, as one process's pool serves both roles in `npm start`. The SDK's runtime
 * must be installed (installWorkerRuntime) before the first connection is made.
 */

/** A fixed payload key for tests, as CALLBACKS_PAYLOAD_KEY would give it. */
export const TEST_PAYLOAD_KEY = Buffer.alloc(32, 7);

/** A fixed master key for tests (endpoint secrets at rest), as CALLBACKS_MASTER_KEY would give it. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 9);

/** Reference URLs as the service mints them under TEST_MASTER_KEY, pointing at `publicUrl` (the test API). */
export function testReferences(publicUrl: string): References {
  return { publicUrl, tokens: createReferenceTokens([TEST_MASTER_KEY]) };
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflows bundled once per test process (webpack takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflows();
  return bundlePromise;
}

export interface WorkerSide {
  store: Store;
  http: WebhookClient;
  services: TemporalServices;
  transforms: TransformRunner;
  references: References;
  /** Stops the worker, then closes the transform pool, the outbound client and the store. */
  stop(): Promise<void>;
}

export async function startWorkerSide(o: {
  dataDir: string;
  client: Client;
  /** The worker's connection, and the server's address (for its messages). */
  connection: NativeConnection;
  address: string;
  namespace: string;
  taskQueue: string;
  dataConverter: DataConverter;
  /** Where the API that serves reference URLs is reached. */
  publicUrl: string;
}): Promise<WorkerSide> {
  const store = openSqliteStore(o.dataDir, { masterKeys: [TEST_MASTER_KEY] });
  // Receivers in tests are plain http on loopback.
  const http = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
  const transforms = createTransformPool();
  const close = async () => {
    await transforms.close();
    await http.close();
    await store.close();
  };
  try {
    const services = createTemporalServices(o.client, { taskQueue: o.taskQueue, namespace: o.namespace });
    const references = testReferences(o.publicUrl);
    const { worker } = await createWorker({
      address: o.address,
      connection: o.connection,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      store,
      http,
      transforms,
      references,
      ...services,
      workflowBundle: await workflowBundle(),
      dataConverter: o.dataConverter,
    });
    const running = worker.run();
    return {
      store,
      http,
      services,
      transforms,
      references,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
