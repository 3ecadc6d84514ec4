import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { PREVIEW_TOKEN } from '../../src/api/endpointPreview';
import { createLogger } from '../../src/log';
import { unique, useKit } from '../helpers/kit';
import { listen } from '../helpers/listen';
import type { Receiver } from '../helpers/receiver';
import { call, eventually, apiOn } from '../helpers/stack';

/**
 * Reference URLs through the HTTP API, with the real stack (Temporal dev server, worker, SQLite
 * store) and real receivers: an endpoint approved for sensitive data gets a reference in place of
 * the raw link (the signed body verified with standardwebhooks), the reference redirects to the
 * link, and an altered, expired or revoked one does not; every fetch is audited, and the link and
 * the token stay out of the logs. The same path on PostgreSQL: postgresService.test.ts.
 */

const REFERENCE = /^http:\/\/127\.0\.0\.1:\d+\/v1\/references\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

describe('reference URLs', function () {
  this.timeout(90_000);
  const kit = useKit();
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  const rawLink = () => `https://recordings.example/${randomBytes(8).toString('hex')}.wav?X-Amz-Signature=${randomBytes(8).toString('hex')}`;
  const recordingReady = (url: string) => ({
    type: 'recording_ready',
    data: { callId: unique('call'), recordingId: unique('rec'), format: 'wav', durationMs: 1000, url, metadata: { test: kit.tag } },
  });
  const follow = (url: string) => fetch(url, { redirect: 'manual' });

  /** Sends `event` to a new endpoint with `payloadScope`; answers the verified body, the endpoint and the event id. */
  async function deliverTo(payloadScope: Record<string, unknown> | undefined, event: { type: string; data: Record<string, unknown> }) {
    const receiver: Receiver = await kit.receiver();
    const endpoint = await kit.createEndpoint({ url: receiver.url, ...(payloadScope ? { payloadScope } : {}) });
    const { id } = await kit.send(event);
    const [request] = await receiver.waitFor(1);
    // What a customer's receiver does: verify with the standardwebhooks package, then read.
    const verified = new Webhook(endpoint.secret).verify(request.body, request.headers as Record<string, string>) as { data: Record<string, unknown> };
    assert.equal(request.webhookId, id);
    return { body: verified, raw: request.body, endpoint, eventId: id };
  }

  it('gives an approved endpoint a reference in place of the link, which redirects to it', async () => {
    const link = rawLink();
    const { body, raw, endpoint, eventId } = await deliverTo({ sensitive: true }, recordingReady(link));
    const reference = String(body.data.url);
    assert.match(reference, REFERENCE);
    assert.ok(reference.startsWith(`${kit.stack.api}/v1/references/`), reference);
    assert.ok(!raw.includes('recordings.example'), 'the raw link is nowhere in the signed body');

    const res = await follow(reference);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), link);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    // Again: a reference answers as often as it is fetched while valid.
    assert.equal((await follow(reference)).status, 302);

    const audit = await call(kit.stack.api, 'GET', '/v1/audit?limit=100');
    const fetches = audit.body.data.filter((r: any) => r.action === 'reference.fetch' && r.target === endpoint.id);
    assert.equal(fetches.length, 2, JSON.stringify(audit.body.data.slice(0, 5)));
    for (const row of fetches) {
      assert.equal(row.keyId, 'reference');
      assert.deepEqual(row.details, { eventId, field: 'url', outcome: 'redirected' });
    }
    assert.ok(!JSON.stringify(audit.body).includes('recordings.example'), 'the audit log holds no link');
  });

  it('answers an altered token exactly as a random one: 404, nothing that says which', async () => {
    const { body } = await deliverTo({ sensitive: true }, kit.completedCall(unique('call'), { recordingUrl: rawLink() }));
    const reference = String(body.data.recordingUrl);
    const token = REFERENCE.exec(reference)![1];
    const base = reference.slice(0, -token.length);
    const random = await call(base, 'GET', randomBytes(40).toString('base64url'));
    assert.equal(random.status, 404);
    assert.equal(random.body.error.code, 'not_found');
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    for (const i of [0, Math.floor(token.length / 3), token.indexOf('.') - 1, token.indexOf('.'), token.indexOf('.') + 1, token.length - 1]) {
      const altered = token.slice(0, i) + flip(token[i]) + token.slice(i + 1);
      const res = await call(base, 'GET', altered);
      assert.equal(res.status, 404, `position ${i}`);
      assert.deepEqual(res.body, random.body, `position ${i}`);
    }
    assert.equal((await follow(reference)).status, 302, 'the genuine token still works');
  });

  it('answers 410 reference_expired once the TTL has passed', async () => {
    const { body } = await deliverTo({ sensitive: true, referenceTtlSeconds: 1 }, recordingReady(rawLink()));
    const reference = String(body.data.url);
    // A 1 s TTL ends at the next whole second at most 1 s from minting: wait past it.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const res = await call(reference, 'GET', '');
    assert.equal(res.status, 410, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'reference_expired');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('purges the kept link after expiry; a resend keeps it again under a fresh reference', async () => {
    const receiver = await kit.receiver();
    const endpoint = await kit.createEndpoint({ url: receiver.url, payloadScope: { sensitive: true, referenceTtlSeconds: 1 } });
    const link = rawLink();
    const { id } = await kit.send(recordingReady(link));
    const [first] = await receiver.waitFor(1);
    const expired = JSON.parse(first.body).data.url as string;
    await kit.waitForStatus(id, 'delivered');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal(await kit.stack.store.referencedLink(id, 'url'), undefined, 'past its keep time');
    assert.equal(await kit.stack.store.referencedLink(id, 'url', new Date(0)), link, 'not purged yet');
    // The hourly purge's workflow, run now: the row goes.
    const purged = await kit.stack.client.workflow.execute('purgeAttemptLog', {
      taskQueue: kit.stack.taskQueue,
      workflowId: unique('purge'),
      args: [{ retentionDays: 30 }],
    });
    assert.ok((purged as { referencedLinks: number }).referencedLinks >= 1, JSON.stringify(purged));
    assert.equal(await kit.stack.store.referencedLink(id, 'url', new Date(0)), undefined, 'the row is gone');

    assert.equal((await call(kit.stack.api, 'POST', `/v1/deliveries/${id}~${endpoint.id}/resend`, {})).status, 202);
    const [, second] = await receiver.waitFor(2);
    const fresh = (new Webhook(endpoint.secret).verify(second.body, second.headers as Record<string, string>) as { data: { url: string } }).data.url;
    assert.notEqual(fresh, expired);
    assert.equal((await follow(fresh)).headers.get('location'), link);
    assert.equal((await call(expired, 'GET', '')).status, 410, 'the first reference stays expired');
  });

  it('answers 404 once the endpoint loses the approval, is put on raw, or is deleted (and made again)', async () => {
    const random = await call(kit.stack.api, 'GET', `/v1/references/${randomBytes(40).toString('base64url')}`);
    const { body, endpoint } = await deliverTo({ sensitive: true }, recordingReady(rawLink()));
    const reference = String(body.data.url);
    assert.equal((await follow(reference)).status, 302);

    const path = `/v1/endpoints/${endpoint.id}`;
    assert.equal((await call(kit.stack.api, 'PATCH', path, { payloadScope: { sensitive: false } })).status, 200);
    const revoked = await call(reference, 'GET', '');
    assert.equal(revoked.status, 404);
    assert.deepEqual(revoked.body, random.body);

    assert.equal((await call(kit.stack.api, 'PATCH', path, { payloadScope: { sensitive: true } })).status, 200);
    assert.equal((await follow(reference)).status, 302, 'the approval given back');
    assert.equal((await call(kit.stack.api, 'PATCH', path, { payloadScope: { sensitive: true, referenceUrls: 'raw' } })).status, 200);
    assert.equal((await call(reference, 'GET', '')).status, 404, 'on raw, references are off');

    assert.equal((await call(kit.stack.api, 'PATCH', path, { payloadScope: { sensitive: true } })).status, 200);
    assert.equal((await call(kit.stack.api, 'DELETE', path)).status, 204);
    const deleted = await call(reference, 'GET', '');
    assert.equal(deleted.status, 404);
    assert.deepEqual(deleted.body, random.body);

    // A new endpoint under the same id, approved too, is another endpoint: the reference stays dead.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await kit.createEndpoint({ id: endpoint.id, url: 'http://127.0.0.1:9/hook', payloadScope: { sensitive: true } });
    assert.equal((await call(reference, 'GET', '')).status, 404, 'recreated under the same id');
  });

  it('delivers the raw link on referenceUrls "raw", and no link at all without the approval', async () => {
    const link = rawLink();
    const raw = await deliverTo({ sensitive: true, referenceUrls: 'raw' }, kit.completedCall(unique('call'), { recordingUrl: link }));
    assert.equal(raw.body.data.recordingUrl, link);

    const unapproved = await deliverTo(undefined, kit.completedCall(unique('call'), { recordingUrl: rawLink() }));
    assert.equal('recordingUrl' in unapproved.body.data, false);
    assert.equal('summary' in unapproved.body.data, false);
  });

  it('gives each event of a batch its own reference', async () => {
    const receiver = await kit.receiver();
    const endpoint = await kit.createEndpoint({ url: receiver.url, payloadScope: { sensitive: true }, batch: { maxSize: 2, maxWaitMs: 60_000 } });
    const links = [rawLink(), rawLink()];
    const ids = [];
    for (const link of links) ids.push((await kit.send(recordingReady(link))).id);
    const [request] = await receiver.waitFor(1);
    const batch = new Webhook(endpoint.secret).verify(request.body, request.headers as Record<string, string>) as { type: string; events: Array<{ id: string; data: { url: string } }> };
    assert.equal(batch.type, 'batch');
    assert.deepEqual(batch.events.map((e) => e.id).sort(), [...ids].sort());
    assert.ok(!request.body.includes('recordings.example'));
    for (const event of batch.events) {
      const res = await follow(event.data.url);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), links[ids.indexOf(event.id)]);
    }
  });

  it('shows the reference form in the preview, without minting or keeping anything', async () => {
    const receiver = await kit.receiver();
    const endpoint = await kit.createEndpoint({ url: receiver.url, payloadScope: { sensitive: true }, transform: { jsonata: '{ "audio": data.url }' } });
    const sample = recordingReady(rawLink());
    const res = await call(kit.stack.api, 'POST', `/v1/endpoints/${endpoint.id}/preview`, sample);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The transform sees the body after the replacement: it cannot reach the raw link.
    assert.deepEqual(res.body.body, { audio: `${kit.stack.api}/v1/references/${PREVIEW_TOKEN}` });
    const previewEventId = res.body.headers['webhook-id'];
    assert.equal(await kit.stack.store.referencedLink(previewEventId, 'url'), undefined, 'the preview keeps no link');
    assert.equal(receiver.requests.length, 0);
  });

  it('writes neither the link nor the token to the log', async () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stderr.write;
    try {
      // An API of its own logging everything (every request at debug), on the stack's store and keys.
      const server = await listen(
        apiOn(kit.stack, {
          apiKeys: [],
          log: createLogger('debug', 'references-test'),
        }),
      );
      closers.push(server.close);
      const link = rawLink();
      const { body } = await deliverTo({ sensitive: true }, recordingReady(link));
      const token = REFERENCE.exec(String(body.data.url))![1];
      const res = await follow(`${server.base}/v1/references/${token}`);
      assert.equal(res.status, 302);
      assert.equal((await follow(`${server.base}/v1/references/x${token}`)).status, 404);
      // The request line is written when the response has finished, which may be after the client has it.
      const logged = await eventually(async () => {
        const text = lines.join('');
        return /"path":"\/v1\/references\/…","status":404/.test(text) && text;
      }, 5_000, 'both fetches in the log');
      assert.match(logged, /"path":"\/v1\/references\/…","status":302/, 'the fetch is logged, without its token');
      assert.ok(!logged.includes(token), 'the token is not logged');
      assert.ok(!logged.includes(new URL(link).pathname), 'the link is not logged');
    } finally {
      process.stderr.write = write;
    }
  });
});
