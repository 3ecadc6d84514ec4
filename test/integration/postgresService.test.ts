import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../helpers/ports';
import { dropDatabase, freshDatabase } from '../helpers/postgres';
import { startReceiver } from '../helpers/receiver';
import { serviceEnv, startService } from '../helpers/service';
import { call, eventually, temporalCliPath } from '../helpers/stack';

/** `npm start` on the PostgreSQL store (DATABASE_URL): the real service, a real database. */

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('npm start with DATABASE_URL: the PostgreSQL store', function () {
  this.timeout(240_000);

  it('delivers, answers /healthz with the store, and writes nothing to DATA_DIR but the dev server\'s files', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-pg-'));
    const databaseUrl = await freshDatabase();
    const env = {
      ...(await serviceEnv(dataDir)),
      DATABASE_URL: databaseUrl,
      CALLBACKS_MASTER_KEY: key(7),
      CALLBACKS_PAYLOAD_KEY: key(8),
    };
    const api = `http://127.0.0.1:${env.PORT}`;
    const receiver = await startReceiver();
    const service = startService(env);
    try {
      await service.waitForLine(/callback-events is running/);
      assert.match(service.output(), /"store":"postgresql"/);
      assert.deepEqual((await call(api, 'GET', '/healthz')).body, { status: 'ok', store: 'ok', temporal: 'ok' });

      const ep = await call(api, 'POST', '/v1/endpoints', { id: 'crm-pg', url: receiver.url, eventTypes: ['disposition_updated'] });
      assert.equal(ep.status, 201);
      const event = { id: 'evt-pg-1', type: 'disposition_updated', data: { callId: 'call-pg-1', disposition: 'booked' } };
      assert.equal((await call(api, 'POST', '/v1/events', event)).status, 202);
      const [got] = await receiver.waitFor(1, 30_000);
      new Webhook(ep.body.secret).verify(got.body, got.headers as Record<string, string>);
      await eventually(async () => (await call(api, 'GET', '/v1/events/evt-pg-1')).body?.status === 'delivered', 20_000, 'delivered');
      // The attempt is in the PostgreSQL attempt log (the event's status counts it there).
      const done = (await call(api, 'GET', '/v1/events/evt-pg-1')).body;
      assert.equal(done.deliveries[0].endpointId, 'crm-pg');
      assert.equal(done.deliveries[0].attempts, 1);

      // Only the embedded dev server's database and log: no store file, no generated key.
      const files = fs.readdirSync(dataDir).sort();
      assert.ok(files.length > 0 && files.every((f) => f.startsWith('temporal')), `DATA_DIR holds ${files.join(', ')}`);
      assert.doesNotMatch(service.output(), new RegExp(databaseUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'the URL is not logged');

      // /healthz asks the database: without it, the store is unavailable.
      await dropDatabase(databaseUrl);
      const down = await call(api, 'GET', '/healthz');
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, { status: 'unavailable', store: 'unavailable', temporal: 'ok' });
    } finally {
      assert.equal(await service.stop('SIGTERM'), 0, service.output());
      await receiver.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start with DATABASE_URL but no keys, naming both, before writing anything', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-pg-'));
    const service = startService({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      TEMPORAL_CLI_PATH: temporalCliPath(),
      DATABASE_URL: 'postgres://callbacks@127.0.0.1:1/callbacks',
    });
    assert.equal(await service.exited, 2, service.output());
    assert.match(service.output(), /CALLBACKS_MASTER_KEY and CALLBACKS_PAYLOAD_KEY must both be set/);
    assert.deepEqual(fs.readdirSync(dataDir), []);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
