import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../../src/log';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { listen } from '../helpers/listen';
import { freePort } from '../helpers/ports';
import { ROOT } from '../helpers/processes';
import { runCli, runCliOk, type CliRun, type CliRunOptions } from '../helpers/cliRunner';
import { toolSettings } from '../helpers/settings';
import { apiOn, call, eventually } from '../helpers/stack';

/**
 * The `callbacks` binary, run as a child process (bin/callbacks.cjs, as npx runs it) against the
 * real stack behind an API that requires a key, so every command goes through the auth path.
 * The child's environment is given whole: CALLBACKS_URL and CALLBACKS_API_KEY, nothing inherited.
 */

const KEY = 'cli-test-admin-key';

type Run = CliRun;

describe('the callbacks CLI against the running service', function () {
  this.timeout(120_000);
  const kit = useKit();
  let base = '';
  let close: (() => Promise<void>) | undefined;
  const created: string[] = [];

  before(async () => {
    const app = apiOn(kit.stack, { apiKeys: [{ key: KEY, role: 'admin' }], recoverPerSecond: 20, log: createLogger('error', 'cli-test') });
    ({ base, close } = await listen(app));
  });
  after(async () => {
    for (const id of created) await kit.stack.store.deleteEndpoint(id);
    await close?.();
  });

  type RunOptions = Partial<CliRunOptions>;
  const cli = (args: string[], o: RunOptions = {}) => runCli(args, { ...o, env: o.env ?? { CALLBACKS_URL: base, CALLBACKS_API_KEY: KEY } });
  const ok = (args: string[], o: RunOptions = {}) => runCliOk(args, { ...o, env: o.env ?? { CALLBACKS_URL: base, CALLBACKS_API_KEY: KEY } });

  /** An endpoint made with the CLI, seeing only this test's events (the kit's tag). */
  async function createWithCli(url: string, extra: string[] = []): Promise<{ id: string; secret: string; run: Run }> {
    const id = unique('ep');
    created.push(id);
    const run = await ok(['endpoints', 'create', '--id', id, '--url', url, '--filter', JSON.stringify({ 'data.metadata.test': kit.tag }), ...extra]);
    const secret = /^secret:\s+(whsec_\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(secret, run.stdout);
    return { id, secret, run };
  }

  const verify = (secret: string, got: { body: string; headers: unknown }) =>
    new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as { id: string; type: string; test?: boolean; data: Record<string, any> };

  it('manages an endpoint: create, list, get --json, update, test with a signed request, rotate, delete', async () => {
    const r = await kit.receiver();
    const credentials = { auth: { type: 'bearer', token: 'tok-cli-credential' }, headers: { 'x-crm-key': 'hdr-cli-credential' } };
    const { id, secret, run } = await createWithCli(r.url, ['--types', 'call_completed', '--description', 'CRM sandbox', '--data', JSON.stringify(credentials)]);
    assert.match(run.stdout, new RegExp(`^id:\\s+${id}$`, 'm'));
    assert.match(run.stdout, /^event types:\s+call_completed$/m);
    // Credentials are named, never shown, in what the CLI prints for people.
    assert.match(run.stdout, /^auth:\s+bearer$/m);
    assert.match(run.stdout, /^headers:\s+x-crm-key$/m);
    assert.equal(/cli-credential/.test(run.stdout + run.stderr), false, run.stdout);

    const list = await ok(['endpoints', 'list']);
    assert.match(list.stdout, /^ID\s+STATUS\s+TYPES\s+URL$/m);
    assert.match(list.stdout, new RegExp(`^${id}\\s+enabled\\s+call_completed\\s+${r.url}$`, 'm'));

    const got = JSON.parse((await ok(['endpoints', 'get', id, '--json'])).stdout);
    assert.equal(got.id, id);
    assert.equal(got.url, r.url);
    assert.equal(got.description, 'CRM sandbox');
    assert.deepEqual(got.filter, { 'data.metadata.test': kit.tag });
    assert.equal(typeof got.flow.concurrency, 'number');
    assert.equal('secret' in got, false);

    const updated = await ok(['endpoints', 'update', id, '--description', 'CRM production', '--types', 'call_completed,escalation_requested']);
    assert.match(updated.stdout, /^description:\s+CRM production$/m);
    const stored = await kit.stack.store.getEndpoint(id);
    assert.deepEqual(stored?.eventTypes, ['call_completed', 'escalation_requested']);
    // null in --data clears an optional field.
    await ok(['endpoints', 'update', id, '--data', '{"description":null}']);
    assert.equal((await kit.stack.store.getEndpoint(id))?.description, undefined);

    const tested = await ok(['endpoints', 'test', id]);
    assert.match(tested.stdout, /^delivered:\s+yes$/m);
    assert.match(tested.stdout, /^status code:\s+200$/m);
    const [first] = await r.waitFor(1);
    const sample = verify(secret, first);
    assert.equal(first.headers.authorization, 'Bearer tok-cli-credential');
    assert.equal(sample.type, 'endpoint_test');
    assert.equal(sample.test, true);

    const rotated = await ok(['endpoints', 'rotate', id, '--grace-seconds', '0']);
    const newSecret = /^secret:\s+(whsec_\S+)$/m.exec(rotated.stdout)?.[1];
    assert.ok(newSecret && newSecret !== secret, rotated.stdout);
    await ok(['endpoints', 'test', id, '--type', 'call_completed']);
    const [, second] = await r.waitFor(2);
    assert.equal(verify(newSecret, second).type, 'call_completed');
    assert.throws(() => verify(secret, second), 'the replaced secret no longer signs');

    assert.match((await ok(['endpoints', 'delete', id])).stdout, new RegExp(`^deleted endpoint ${id}$`, 'm'));
    const gone = await cli(['endpoints', 'get', id]);
    assert.equal(gone.code, 1, gone.stderr);
    assert.equal(gone.stderr, `error: not_found: Endpoint "${id}" does not exist.\n`);
    assert.equal(gone.stdout, '');
  });

  it('sends an event (--data and --file -) and reads its deliveries back', async () => {
    const r = await kit.receiver();
    const { id: endpointId, secret } = await createWithCli(r.url);
    const sent = await ok(['events', 'send', '--data', JSON.stringify(kit.completedCall(unique('call')))]);
    const eventId = /^accepted (\S+) \(workflow event-\1\)$/m.exec(sent.stdout)?.[1];
    assert.ok(eventId, sent.stdout);
    await kit.waitForStatus(eventId, 'delivered');
    assert.equal(verify(secret, (await r.waitFor(1))[0]).id, eventId);

    const shown = await ok(['events', 'get', eventId]);
    assert.match(shown.stdout, /^status:\s+delivered$/m);
    assert.match(shown.stdout, new RegExp(`^${eventId}~${endpointId}\\s+delivered\\s+1\\s+200\\s`, 'm'));
    const json = JSON.parse((await ok(['events', 'get', eventId, '--json'])).stdout);
    assert.equal(json.deliveries[0].endpointId, endpointId);

    // The same event again, from stdin: the API answers it as a duplicate, and nothing is sent twice.
    const again = await ok(['events', 'send', '--file', '-', '--json'], { stdin: JSON.stringify({ ...kit.completedCall('c'), id: eventId }) });
    assert.equal(JSON.parse(again.stdout).duplicate, true);

    const unknown = await cli(['events', 'get', 'evt_none-such']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: not_found: Event "evt_none-such" does not exist.\n');
  });

  it('simulates a call_completed from the catalog example, delivered signed and scoped', async () => {
    const r = await kit.receiver();
    const { secret } = await createWithCli(r.url, ['--types', 'call_completed']);
    const callId = unique('call');
    const sent = await ok(['events', 'simulate', '--type', 'call_completed', '--call-id', callId, '--metadata', `test=${kit.tag}`]);
    const eventId = /^accepted (\S+) /m.exec(sent.stdout)?.[1];
    const [got] = await r.waitFor(1);
    const body = verify(secret, got);
    assert.equal(body.id, eventId);
    assert.equal(body.type, 'call_completed');
    assert.equal(body.test, undefined, 'a simulated event is a real event');
    assert.equal(body.data.callId, callId);
    assert.equal(body.data.metadata.test, kit.tag);
    assert.equal(body.data.metadata.leadId, 'L-204871', 'the example\'s own metadata is kept');
    assert.equal('summary' in body.data, false, 'scoped: the endpoint is not approved for the summary');

    const unknown = await cli(['events', 'simulate', '--type', 'call_exploded']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: usage: unknown event type "call_exploded"; one of: call_started, call_completed, /);

    const reserved = await cli(['events', 'simulate', '--type', 'delivery_exhausted']);
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /^error: invalid_request: Invalid body: type: "delivery_exhausted" is reserved for events the service makes itself\n$/);
  });

  it('lists, reads, resends and discards deliveries that went to review', async () => {
    const r = await kit.receiver(() => 500);
    const { id: endpointId } = await createWithCli(r.url, ['--data', JSON.stringify({ retry: fastRetry(1) })]);
    const events = [];
    for (let i = 0; i < 2; i++) events.push((await kit.send(kit.completedCall(unique('call')))).id);
    const [toResend, toDiscard] = events.map((e) => `${e}~${endpointId}`);
    // A test send the receiver refuses: the API answers, but nothing was delivered, so exit 1.
    const refused = await cli(['endpoints', 'test', endpointId]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stdout, /^delivered:\s+no$/m);
    assert.match(refused.stdout, /^status code:\s+500$/m);
    assert.match(refused.stderr, /^error: not_delivered: .+\n$/);
    for (const id of [toResend, toDiscard]) await kit.waitForDelivery(id, 'awaiting_review');

    const listArgs = ['deliveries', 'list', '--endpoint', endpointId, '--status', 'awaiting_review'];
    const listed = await eventually(async () => {
      const run = await ok(listArgs);
      return run.stdout.includes(toResend) && run.stdout.includes(toDiscard) ? run : undefined;
    }, 20_000, 'both deliveries listed');
    assert.match(listed.stdout, /^DELIVERY\s+STATUS\s+TYPE\s+ATTEMPTS\s+CREATED$/m);
    assert.match(listed.stdout, new RegExp(`^${toResend}\\s+awaiting_review\\s+call_completed\\s+1\\s`, 'm'));

    const firstPage = await ok([...listArgs, '--limit', '1']);
    const cursor = /^next page: --cursor (\S+)$/m.exec(firstPage.stdout)?.[1];
    assert.ok(cursor, firstPage.stdout);
    const secondPage = await ok([...listArgs, '--limit', '1', '--cursor', cursor, '--json']);
    const pages = [firstPage.stdout, JSON.parse(secondPage.stdout).data[0].id];
    assert.ok(pages.some((p) => p.includes(toResend)) && pages.some((p) => p.includes(toDiscard)), pages.join('\n'));
    const all = JSON.parse((await ok([...listArgs, '--limit', '1', '--all', '--json'])).stdout);
    assert.deepEqual(all.data.map((d: { id: string }) => d.id).sort(), [toResend, toDiscard].sort());
    assert.equal(all.nextCursor, null);

    const detail = await ok(['deliveries', 'get', toResend]);
    assert.match(detail.stdout, /^status:\s+awaiting_review$/m);
    assert.match(detail.stdout, new RegExp(`^1\\s+primary\\s+\\S+\\s+\\d+\\s+500\\s`, 'm'));

    r.script(() => 200);
    await ok(['deliveries', 'resend', toResend]);
    await kit.waitForDelivery(toResend, 'delivered');
    assert.equal(r.requests.at(-1)?.webhookId, events[0]);

    assert.match((await ok(['deliveries', 'discard', toDiscard])).stdout, new RegExp(`^discarded ${toDiscard}$`, 'm'));
    await kit.waitForDelivery(toDiscard, 'discarded');

    // A delivered delivery cannot be discarded: the API's own code and message, exit 1.
    const late = await cli(['deliveries', 'discard', toResend, '--json']);
    assert.equal(late.code, 1);
    const error = JSON.parse(late.stderr).error;
    assert.equal(error.code, 'delivery_state_conflict');
    assert.equal(late.stdout, '');
    const plain = await cli(['deliveries', 'discard', toResend]);
    assert.equal(plain.stderr, `error: delivery_state_conflict: ${error.message}\n`);
  });

  it('recover resends what went to review, printing the job\'s progress, and exits 0 when it completes', async () => {
    const r = await kit.receiver(() => 503);
    const { id: endpointId, secret } = await createWithCli(r.url, ['--data', JSON.stringify({ retry: fastRetry(1) })]);
    const since = new Date(Date.now() - 1_000).toISOString();
    const events = [];
    for (let i = 0; i < 3; i++) events.push((await kit.send(kit.completedCall(unique('call')))).id);
    for (const e of events) await kit.waitForDelivery(`${e}~${endpointId}`, 'awaiting_review');
    // The job finds deliveries through visibility, which lags the workflows a little.
    await eventually(async () => {
      const page = await call(base, 'GET', `/v1/deliveries?endpointId=${endpointId}&status=awaiting_review`, undefined, { authorization: `Bearer ${KEY}` });
      return page.body.data.length === 3;
    }, 20_000, 'the deliveries in review to be listed');

    r.script(() => 200);
    const run = await ok(['recover', endpointId, '--since', since]);
    const jobId = /^(\S+): resent 3 of 3 deliveries of /m.exec(run.stdout)?.[1];
    assert.ok(jobId, run.stdout);
    // Not a terminal: plain progress lines on stderr, the last one the completed job.
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.at(-1), `recover ${endpointId}: 3/3 done, 0 failed (completed)`, run.stderr);
    for (const line of lines) assert.match(line, new RegExp(`^recover ${endpointId}: \\d+/\\d+ done, \\d+ failed \\((running|completed)\\)$`));
    for (const e of events) await kit.waitForDelivery(`${e}~${endpointId}`, 'delivered');
    const resent = r.requests.filter((q) => q.status === 200);
    assert.deepEqual(resent.map((q) => verify(secret, q).id).sort(), [...events].sort());

    // Started without following, then followed by its id.
    const started = JSON.parse((await ok(['recover', endpointId, '--since', '1h', '--statuses', 'expired', '--no-follow', '--json'])).stdout);
    assert.match(started.jobId, /^job-/);
    const job = JSON.parse((await ok(['jobs', 'get', started.jobId, '--follow', '--json'])).stdout);
    assert.deepEqual(job, { id: started.jobId, kind: 'recover', endpointId, status: 'completed', total: 0, done: 0, failed: 0 });
    assert.match((await ok(['jobs', 'get', started.jobId])).stdout, /^progress:\s+0\/0 done, 0 failed$/m);
  });

  describe('errors', () => {
    it('a usage error exits 2 with commander\'s message, before any request', async () => {
      const unknownOption = await cli(['endpoints', 'list', '--bogus']);
      assert.equal(unknownOption.code, 2);
      assert.match(unknownOption.stderr, /^error: unknown option '--bogus'/);
      const missing = await cli(['recover', 'ep-x']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /required option '--since <time>' not specified/);
      const badJson = await cli(['endpoints', 'create', '--data', '{nope']);
      assert.equal(badJson.code, 2);
      assert.match(badJson.stderr, /^error: usage: --data is not valid JSON/);
      const badUrl = await cli(['endpoints', 'list'], { env: { CALLBACKS_URL: 'ftp://example.com' } });
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /^error: usage: invalid configuration: CALLBACKS_URL: must be an http or https url/);
    });

    it('an unreachable service exits 3', async () => {
      const port = await freePort();
      const run = await cli(['endpoints', 'list'], { env: { CALLBACKS_URL: `http://127.0.0.1:${port}`, CALLBACKS_API_KEY: KEY } });
      assert.equal(run.code, 3);
      assert.equal(run.stderr, `error: unreachable: cannot reach the service at http://127.0.0.1:${port}: ECONNREFUSED\n`);
      const json = await cli(['endpoints', 'list', '--json'], { env: { CALLBACKS_URL: `http://127.0.0.1:${port}` } });
      assert.equal(json.code, 3);
      assert.equal(JSON.parse(json.stderr).error.code, 'unreachable');
    });

    it('a wrong or missing API key exits 1 with the API\'s unauthorized message, and the key is never printed', async () => {
      const wrong = await cli(['endpoints', 'list'], { env: { CALLBACKS_URL: base, CALLBACKS_API_KEY: 'not-the-key' } });
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr, 'error: unauthorized: The API key is not valid.\n');
      const none = await cli(['endpoints', 'list', '--json'], { env: { CALLBACKS_URL: base } });
      assert.equal(none.code, 1);
      assert.deepEqual(JSON.parse(none.stderr).error, { code: 'unauthorized', message: 'Send the API key as "Authorization: Bearer <key>".' });
      // The flag overrides the variable; the role prefix of the service's own form is understood.
      await ok(['endpoints', 'list', '--api-key', `admin:${KEY}`], { env: { CALLBACKS_URL: base, CALLBACKS_API_KEY: 'not-the-key' } });
      for (const run of [wrong, none]) assert.equal(`${run.stdout}${run.stderr}`.includes('not-the-key'), false);
    });
  });

  it('runs as `npx callbacks` from the project folder, with no build step', async () => {
    // npx resolves the package's own bin (package.json "bin") from the project folder.
    const run = await ok(['--help'], { env: { ...toolSettings().baseEnv, CALLBACKS_URL: base }, launcher: ['npx', 'callbacks'] });
    assert.match(run.stdout, /^Usage: callbacks \[options\] \[command\]$/m);
    for (const group of ['endpoints', 'events', 'deliveries', 'recover', 'tenants', 'keys']) assert.match(run.stdout, new RegExp(`^  ${group}\\b`, 'm'));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin.callbacks, 'bin/callbacks.cjs');
  });
});
