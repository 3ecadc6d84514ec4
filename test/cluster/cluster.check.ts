import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { searchAttributes } from '../../workflows/contract';
import { startCluster, type Cluster } from '../helpers/cluster';
import { freePort } from '../helpers/ports';
import { withClient } from '../helpers/postgres';
import { startRole, stopAll, type Proc } from '../helpers/processes';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { toolSettings } from '../helpers/settings';
import { call, eventually } from '../helpers/stack';
import { TEST_MASTER_KEY, TEST_PAYLOAD_KEY } from '../helpers/workerSide';

/**
 * The reduced cluster check (`npm run test:cluster`, not part of `npm test`): the service as it is
 * scaled out, on a production-shaped Temporal (`npm run cluster`: the multi-service server on
 * PostgreSQL persistence and visibility, 4 history shards). One API process and one worker process
 * deliver an event; the worker is killed (SIGKILL); an event posted while no worker runs is
 * delivered by the worker that replaces it. Every delivery's signature is checked with the
 * `standardwebhooks` package, as a customer's receiver would.
 */

describe('on a Temporal cluster (PostgreSQL persistence and visibility)', function () {
  // The first run builds the Temporal server (several minutes); startCluster allows for it.
  this.timeout(35 * 60_000);

  const settings = toolSettings();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-cluster-'));
  // mkdtemp makes it private; PostgreSQL runs as its own user when we are root and must reach its folder.
  fs.chmodSync(dir, 0o755);
  let cluster: Cluster;
  let receiver: Receiver;
  let api: Proc;
  let worker: Proc;
  let apiUrl: string;
  let serviceEnv: Record<string, string>;
  let secret: string;
  let failed = false;

  before(async () => {
    const startedAt = Date.now();
    cluster = await startCluster(settings, path.join(dir, 'cluster'), await freePort());
    console.log(`    cluster ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s at ${cluster.address}`);
    receiver = await startReceiver();
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    serviceEnv = {
      ...settings.baseEnv,
      TEMPORAL_ADDRESS: cluster.address,
      HOST: '127.0.0.1',
      PORT: String(port),
      // Every process of the service has the same keys (docs/operations.md).
      CALLBACKS_MASTER_KEY: TEST_MASTER_KEY.toString('base64'),
      CALLBACKS_PAYLOAD_KEY: TEST_PAYLOAD_KEY.toString('base64'),
      // The store: PostgreSQL (a database of its own on the cluster's server), shared by every
      // process; each process has its own DATA_DIR, which it leaves empty.
      DATABASE_URL: await callbacksDatabase(cluster.postgresUrl),
      // The receiver lives on loopback and speaks plain http.
      CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
      CALLBACKS_ALLOW_HTTP: 'true',
      LOG_LEVEL: 'info',
    };
    worker = await startRole('worker', { ...serviceEnv, DATA_DIR: emptyDataDir('worker-1') }, dir);
    api = await startRole('api', { ...serviceEnv, DATA_DIR: emptyDataDir('api-1') }, dir);
  });

  /** The service's database on the cluster's PostgreSQL server, beside Temporal's two. */
  async function callbacksDatabase(serverUrl: string): Promise<string> {
    await withClient(serverUrl, (client) => client.query('CREATE DATABASE callbacks'));
    const url = new URL(serverUrl);
    url.pathname = '/callbacks';
    return url.toString();
  }

  function emptyDataDir(name: string): string {
    return fs.mkdtempSync(path.join(dir, `${name}-data-`));
  }

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async () => {
    await stopAll();
    await receiver?.close();
    if (failed) console.log(`    logs kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  async function deliver(id: string, callId: string): Promise<void> {
    const event = { id, type: 'disposition_updated', data: { callId, disposition: 'booked' } };
    const posted = await call(apiUrl, 'POST', '/v1/events', event);
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
  }

  async function delivered(id: string, count: number): Promise<void> {
    const got = await receiver.waitFor(count, 60_000);
    const request = got.find((r) => r.body.includes(`"${id}"`));
    assert.ok(request, `no delivery of ${id} among ${got.length}`);
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    await eventually(async () => (await call(apiUrl, 'GET', `/v1/events/${id}`)).body?.status === 'delivered', 30_000, `${id} delivered`);
  }

  it('registers the service\'s search attributes on the cluster\'s SQL visibility', async () => {
    const connection = await Connection.connect({ address: cluster.address });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const custom = Object.keys(listed.customAttributes ?? {});
      for (const key of Object.values(searchAttributes)) assert.ok(custom.includes(key.name), `${key.name} missing: ${custom.join(', ')}`);
    } finally {
      await connection.close();
    }
  });

  it('one API process and one worker process deliver a signed event', async () => {
    const ep = await call(apiUrl, 'POST', '/v1/endpoints', { id: 'cluster-crm', url: receiver.url, eventTypes: ['disposition_updated'] });
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    secret = ep.body.secret;
    receiver.trust(new URL(receiver.url).pathname, secret);
    await deliver('evt-cluster-1', 'call-cluster-1');
    await delivered('evt-cluster-1', 1);
  });

  it('lists the delivered event through visibility by a custom search attribute', async () => {
    const connection = await Connection.connect({ address: cluster.address });
    try {
      const query = `${searchAttributes.callId.name} = 'call-cluster-1'`;
      const found = await eventually(async () => {
        const count = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query });
        return Number(count.count) >= 1 && Number(count.count);
      }, 30_000, `a workflow where ${query}`);
      assert.ok(found >= 1);
    } finally {
      await connection.close();
    }
  });

  it('after the worker is SIGKILLed, an event posted meanwhile is delivered by the worker that replaces it', async () => {
    worker.child.kill('SIGKILL');
    assert.equal(await worker.exited, null);
    await worker.stop();
    // Accepted with no worker running: the workflow waits in Temporal for one.
    await deliver('evt-cluster-2', 'call-cluster-2');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(receiver.requests.length, 1, 'nothing is delivered while no worker runs');
    worker = await startRole('worker', { ...serviceEnv, DATA_DIR: emptyDataDir('worker-2') }, dir);
    await delivered('evt-cluster-2', 2);
    assert.deepEqual(receiver.requests.map((r) => r.signatureValid), [true, true]);
  });

  it('stops: SIGTERM stops the server and its PostgreSQL, exiting 0', async () => {
    await api.stop();
    await worker.stop();
    // With the PostgreSQL store, no process wrote to its DATA_DIR.
    const written = fs.readdirSync(dir).filter((d) => d.includes('-data-')).flatMap((d) => fs.readdirSync(path.join(dir, d)).map((f) => `${d}/${f}`));
    assert.deepEqual(written, []);
    assert.equal(await cluster.stop(), 0, cluster.proc.output().slice(-4000));
    assert.equal(fs.existsSync(path.join(cluster.dir, 'postgres', 'data', 'postmaster.pid')), false);
    assert.equal(fs.existsSync(path.join(cluster.dir, 'server.pid')), false);
  });
});
