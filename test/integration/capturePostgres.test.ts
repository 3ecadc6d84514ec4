import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import type { purgeAttemptLog } from '../../workflows';
import { openPostgresStore } from '../../src/store/postgres';
import { createPayloadCodec, payloadDataConverter } from '../../src/temporal/payloadCodec';
import { dropDatabase, freshDatabase } from '../helpers/postgres';
import { startReceiver } from '../helpers/receiver';
import { serviceEnv, startService } from '../helpers/service';
import { call, eventually } from '../helpers/stack';

/**
 * Case ids flow back on the PostgreSQL store: `npm start` with DATABASE_URL, real receivers, the
 * HTTP API, and the retention purge as its Temporal Schedule runs it (capture.test.ts covers the
 * rest of the feature on SQLite).
 */

const key = (fill: number) => Buffer.alloc(32, fill);

describe('capture on the PostgreSQL store', function () {
  this.timeout(240_000);

  it('captures a case id, carries it to the call’s next event, shows it at GET /v1/calls/:callId, and purges it with the retention', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-pg-capture-'));
    const databaseUrl = await freshDatabase();
    const env = {
      ...(await serviceEnv(dataDir)),
      DATABASE_URL: databaseUrl,
      CALLBACKS_MASTER_KEY: key(7).toString('base64'),
      CALLBACKS_PAYLOAD_KEY: key(8).toString('base64'),
    };
    const api = (method: string, pathname: string, body?: unknown) => call(`http://127.0.0.1:${env.PORT}`, method, pathname, body);
    const crm = await startReceiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"CASE-1042"}' }));
    const helpdesk = await startReceiver();
    const service = startService(env);
    try {
      await service.waitForLine(/callback-events is running/);
      assert.match(service.output(), /"store":"postgresql"/);
      const a = await api('POST', '/v1/endpoints', { id: 'crm', url: crm.url, eventTypes: ['call_completed'], capture: { caseId: '/id' } });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const b = await api('POST', '/v1/endpoints', { id: 'helpdesk', url: helpdesk.url, eventTypes: ['disposition_updated'], ordering: 'per_call' });
      assert.equal(b.status, 201, JSON.stringify(b.body));

      const callId = 'call-pg-capture';
      const completed = {
        id: 'evt-pg-c1',
        type: 'call_completed',
        occurredAt: '2026-11-29T10:00:05Z',
        data: {
          callId, startedAt: '2026-11-29T09:58:00Z', endedAt: '2026-11-29T10:00:00Z', durationMs: 120000,
          endedReason: 'caller_hangup', disposition: 'qualified',
        },
      };
      assert.equal((await api('POST', '/v1/events', completed)).status, 202);
      await eventually(async () => (await api('GET', '/v1/events/evt-pg-c1')).body?.status === 'delivered', 30_000, 'the case-creating event delivered');
      const disposition = { id: 'evt-pg-c2', type: 'disposition_updated', occurredAt: '2026-11-29T10:00:06Z', data: { callId, disposition: 'booked' } };
      assert.equal((await api('POST', '/v1/events', disposition)).status, 202);
      const [got] = await helpdesk.waitFor(1, 30_000);
      const payload = new Webhook(b.body.secret).verify(got.body, got.headers as Record<string, string>) as { id: string; data: Record<string, unknown> };
      assert.equal(payload.id, 'evt-pg-c2');
      assert.deepEqual(payload.data.context, { caseId: 'CASE-1042' });

      const view = await eventually(async () => {
        const res = await api('GET', `/v1/calls/${callId}`);
        return res.body?.events?.length === 2 && res.body.events.every((e: { status: string }) => e.status === 'delivered') ? res.body : undefined;
      }, 30_000, 'the call listed with both events delivered');
      assert.deepEqual(view, {
        callId,
        context: { caseId: 'CASE-1042' },
        events: [
          { id: 'evt-pg-c1', type: 'call_completed', status: 'delivered' },
          { id: 'evt-pg-c2', type: 'disposition_updated', status: 'delivered' },
        ],
      });

      // A call last captured 31 days ago, beside the fresh one: the purge takes only the stale one.
      const store = await openPostgresStore({ url: databaseUrl, poolSize: 1 }, { masterKeys: [key(7)] });
      try {
        await store.saveCallContext('call-pg-stale', { caseId: 'CASE-OLD' }, new Date(Date.now() - 31 * 86_400_000));
      } finally {
        await store.close();
      }
      assert.equal((await api('GET', '/v1/calls/call-pg-stale')).status, 200);
      const connection = await Connection.connect({ address: `127.0.0.1:${env.TEMPORAL_PORT}` });
      try {
        const client = new Client({ connection, dataConverter: payloadDataConverter(createPayloadCodec([key(8)])) });
        const purged = await client.workflow.execute<typeof purgeAttemptLog>('purgeAttemptLog', {
          taskQueue: 'callback-events',
          workflowId: 'purge-pg-capture',
          args: [{ retentionDays: 30 }],
        });
        assert.deepEqual(purged, { attempts: 0, callContext: 1, referencedLinks: 0 });
      } finally {
        await connection.close();
      }
      assert.equal((await api('GET', '/v1/calls/call-pg-stale')).status, 404);
      assert.deepEqual((await api('GET', `/v1/calls/${callId}`)).body.context, { caseId: 'CASE-1042' });
    } finally {
      assert.equal(await service.stop('SIGTERM'), 0, service.output());
      await Promise.all([crm.close(), helpdesk.close()]);
      await dropDatabase(databaseUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
