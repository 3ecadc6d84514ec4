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

  it('delivers, serves reference URLs, answers /healthz with the store, and writes nothing to DATA_DIR but the dev server\'s files', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-pg-'));
    const databaseUrl = await freshDatabase();
    const env = {
      ...(await serviceEnv(dataDir)),
      DATABASE_URL: databaseUrl,
      CALLBACKS_MASTER_KEY: key(7),
      CALLBACKS_PAYLOAD_KEY: key(8),
      // Every request in the log, so the reference check below sees what a fetch writes.
      LOG_LEVEL: 'debug',
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

      // Reference URLs on this store: a reference in place of the link, a redirect to it, an audit
      // row per fetch, a 404 once the approval is gone; neither link nor token in the log.
      const link = 'https://recordings.example/pg/call-pg-2.wav?X-Amz-Signature=pg-secret-signature';
      const refs = await call(api, 'POST', '/v1/endpoints', {
        id: 'crm-pg-refs',
        url: receiver.urlFor('/refs'),
        eventTypes: ['recording_ready'],
        payloadScope: { sensitive: true },
      });
      assert.equal(refs.status, 201);
      const recording = { id: 'evt-pg-2', type: 'recording_ready', data: { callId: 'call-pg-2', recordingId: 'rec-1', format: 'wav', durationMs: 1000, url: link } };
      assert.equal((await call(api, 'POST', '/v1/events', recording)).status, 202);
      const [, signed] = await receiver.waitFor(2, 30_000);
      const verified = new Webhook(refs.body.secret).verify(signed.body, signed.headers as Record<string, string>) as { data: { url: string } };
      assert.ok(verified.data.url.startsWith(`${api}/v1/references/`), verified.data.url);
      assert.ok(!signed.body.includes('recordings.example'));
      const token = verified.data.url.slice(`${api}/v1/references/`.length);
      const followed = await fetch(verified.data.url, { redirect: 'manual' });
      assert.equal(followed.status, 302);
      assert.equal(followed.headers.get('location'), link);
      const audit = (await call(api, 'GET', '/v1/audit')).body.data.filter((r: { action: string }) => r.action === 'reference.fetch');
      assert.deepEqual(audit.map((r: { keyId: string; target: string; details: unknown }) => [r.keyId, r.target, r.details]), [
        ['reference', 'crm-pg-refs', { eventId: 'evt-pg-2', field: 'url', outcome: 'redirected' }],
      ]);
      assert.equal((await call(api, 'PATCH', '/v1/endpoints/crm-pg-refs', { payloadScope: null })).status, 200);
      assert.equal((await fetch(verified.data.url, { redirect: 'manual' })).status, 404);
      await eventually(async () => /"path":"\/v1\/references\/…","status":404/.test(service.output()), 5_000, 'the fetches in the log');
      assert.ok(!service.output().includes('pg-secret-signature') && !service.output().includes(token), 'neither link nor token is logged');

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
