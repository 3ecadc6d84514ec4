/**
 * A second worker, as a separate OS process (test/integration/flow.test.ts): the service's
 * workflows and activities (createActivities) on the test stack's task queue, beside the stack's
 * own worker, with its own connection to the store file, its own HTTP client and its own
 * Temporal connection. Prints `ready` once polling; on SIGTERM shuts down and prints
 * `{"delivered": n}`, the attempts it made that the receiver accepted.
 *
 * Configured as the service is (src/config.ts): TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, DATA_DIR,
 * CALLBACKS_MASTER_KEY, CALLBACKS_PAYLOAD_KEY, and CALLBACKS_WORKFLOW_BUNDLE: the stack's prebuilt
 * workflow bundle (bundling again takes seconds).
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createTransformPool } from '../../src/transforms/pool';
import { createReferenceTokens } from '../../src/crypto/referenceTokens';
import { loadConfig, processEnvironment } from '../../src/config';
import { createTemporalServices } from '../../src/temporal/services';
import { createWebhookClient } from '../../src/http/webhookClient';
import { openStore } from '../../src/store/openStore';
import { createPayloadCodec, payloadDataConverter } from '../../src/temporal/payloadCodec';

async function main(): Promise<void> {
  const config = loadConfig(processEnvironment());
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is not set');
  Runtime.install({ logger: new DefaultLogger('WARN', ({ message }) => process.stderr.write(`second worker: ${message}\n`)) });
  const address = config.temporal.address;
  const { taskQueue } = config.temporal;
  // The store the configuration names (DATABASE_URL or DATA_DIR), as the service's own worker.
  const store = await openStore(config, config.masterKeys);
  const http = createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
  const dataConverter = payloadDataConverter(createPayloadCodec(config.payloadKeys));
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter });
  const transforms = createTransformPool();
  const references = { publicUrl: config.publicUrl, tokens: createReferenceTokens(config.masterKeys) };
  const activities = createActivities({ store, http, transforms, references, ...createTemporalServices(client, { taskQueue, namespace: 'default' }) });

  let delivered = 0;
  const deliver: typeof activities.deliver = async (input) => {
    const report = await activities.deliver(input);
    delivered += 1;
    return report;
  };
  const workerConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    activities: { ...activities, deliver },
    workflowBundle: { codePath: config.temporal.workflowBundlePath },
    dataConverter,
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  process.stdout.write(`${JSON.stringify({ delivered })}\n`);
  await workerConnection.close();
  await connection.close();
  await transforms.close();
  await http.close();
  await store.close();
}

main().catch((err) => {
  process.stderr.write(`second worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
