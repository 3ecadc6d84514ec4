import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { keyIdOf } from '../../src/crypto/keyring';
import { createLogger } from '../../src/log';
import { ENCRYPTED_ENCODING, METADATA_KEY_ID } from '../../src/temporal/payloadCodec';
import { unique, useKit } from '../helpers/kit';
import { call, eventually, TEST_PAYLOAD_KEY, apiOn } from '../helpers/stack';
import { listen } from '../helpers/listen';
import { toolSettings } from '../helpers/settings';
import { readOutsideProcess } from '../helpers/readOutside';

/**
 * Call data never rests in clear: with a real dev server, worker, store and receiver, an event
 * whose sensitive fields carry a unique marker is delivered with it (its recording link as a
 * reference), yet the marker is nowhere in `temporal workflow show` nor in any file under the
 * data dir (Temporal's SQLite, its WAL, the store with the link the reference leads to). A control workflow started without the codec proves both checks would see it. Then the
 * codec server the Web UI uses: round trip, a real history payload, CORS, and its admin key.
 */

const run = promisify(execFile);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

type JsonPayload = { metadata?: Record<string, string>; data?: string };

/** Every payload in the CLI's JSON output, with where it sits; the CLI prints their data in base64. */
function payloadsIn(output: unknown): Array<{ at: string; payload: JsonPayload }> {
  const found: Array<{ at: string; payload: JsonPayload }> = [];
  const walk = (value: unknown, at: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.metadata && typeof record.metadata === 'object' && 'encoding' in record.metadata) found.push({ at, payload: record as JsonPayload });
      else for (const [k, v] of Object.entries(record)) walk(v, `${at}.${k}`);
    }
  };
  walk(output, '');
  return found;
}

/** The CLI's JSON output with every payload's data decoded from base64, so a clear payload shows. */
function readable(output: string): string {
  return [output, ...payloadsIn(JSON.parse(output)).map(({ payload }) => unb64(payload.data ?? ''))].join('\n');
}

/** Every file under `dir`, recursively, read as bytes (SQLite -wal and -shm files included). */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const bytes = readOutsideProcess(full);
        if (bytes === undefined) continue; // a -shm or -journal gone meanwhile
        if (bytes.includes(needle)) found.push(path.relative(dir, full));
      }
    }
  };
  walk(dir);
  return found;
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

describe('data protection', function () {
  this.timeout(90_000);
  const kit = useKit();
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** The real CLI, as an operator would run it: no codec, no key. */
  const cli = async (...args: string[]) => {
    const { stdout } = await run(kit.stack.cliPath, [...args, '--address', kit.stack.temporalAddress, '--namespace', 'default'], {
      env: toolSettings().baseEnv,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  const show = (workflowId: string) => cli('workflow', 'show', '--workflow-id', workflowId, '--output', 'json');

  describe('at rest', () => {
    const marker = `PHI${randomBytes(8).toString('hex')}`;
    const callId = unique('call');
    let workflowId = '';
    let eventId = '';

    before(async function () {
      this.timeout(90_000);
      const receiver = await kit.receiver();
      await kit.createEndpoint({ url: receiver.url, payloadScope: { sensitive: true } });
      const event = kit.completedCall(callId, {
        summary: `Caller asked about ${marker}`,
        transcript: [{ role: 'caller', text: `Call me back on +1 555 ${marker}` }],
        extracted: { phone: `+1-555-${marker}`, preferred_date: `2026-12-01 ${marker}` },
        recordingUrl: `https://recordings.example/${marker}.wav`,
      });
      ({ id: eventId, workflowId } = await kit.send(event));
      await kit.waitForStatus(eventId, 'delivered');
      // Delivery works: the receiver, an endpoint approved for sensitive fields, got them in clear.
      const [request] = await receiver.waitFor(1);
      const body = JSON.parse(request.body);
      assert.equal(body.data.summary, `Caller asked about ${marker}`);
      assert.equal(body.data.extracted.phone, `+1-555-${marker}`);
      assert.equal(body.data.transcript[0].text, `Call me back on +1 555 ${marker}`);
      // The recording link arrives as a reference; the store keeps the link (sealed: the file
      // check below) and the reference leads to it.
      assert.ok(body.data.recordingUrl.startsWith(`${kit.stack.api}/v1/references/`) && !body.data.recordingUrl.includes(marker), body.data.recordingUrl);
      const followed = await fetch(body.data.recordingUrl, { redirect: 'manual' });
      assert.equal(followed.headers.get('location'), `https://recordings.example/${marker}.wav`);
      // The workflow has closed, so its whole history is written.
      await eventually(
        async () => (await kit.stack.client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED',
        20_000,
        'the workflow to complete',
      );
    });

    it('without the codec, the CLI and the database files would show a payload in clear (control)', async () => {
      // Started by a client without the codec, on a task queue no worker polls.
      const control = `CTRL${randomBytes(8).toString('hex')}`;
      const plain = new Client({ connection: kit.stack.client.connection, namespace: 'default' });
      const handle = await plain.workflow.start('notAWorkflow', {
        taskQueue: unique('no-worker'),
        workflowId: unique('control'),
        args: [{ note: control }],
      });
      try {
        const shown = await show(handle.workflowId);
        assert.ok(readable(shown).includes(control), 'the CLI does not show a clear payload; the check below would prove nothing');
        const files = await eventually(async () => {
          const hits = filesContaining(kit.stack.dataDir, control);
          return hits.length > 0 ? hits : undefined;
        }, 10_000, `the control marker in a file under ${kit.stack.dataDir} (${listFiles(kit.stack.dataDir).join(', ')})`);
        assert.ok(files.some((f) => f.startsWith('temporal.sqlite')), files.join(', '));
      } finally {
        await handle.terminate('control done');
      }
    });

    it('`temporal workflow show` prints no transcript, summary, phone number or extracted value', async () => {
      const shown = await show(workflowId);
      const history = JSON.parse(shown);
      assert.ok(Array.isArray(history.events) && history.events.length > 5, shown.slice(0, 500));
      assert.ok(!readable(shown).includes(marker), 'the marker is in the CLI output');
      // Every payload in the history is sealed and names its key, except two kinds that carry no
      // call data: search attributes (ids, type, status; never encoded by codecs) and the SDK's own
      // bookkeeping of a local activity (`data`: sequence, attempt, activity type, times).
      const payloads = payloadsIn(history).filter(({ at }) => !/searchAttributes|markerRecordedEventAttributes\.details\.data\b/.test(at));
      assert.ok(payloads.length >= 5, `only ${payloads.length} payloads in the history`);
      for (const { at, payload } of payloads) {
        assert.equal(unb64(payload.metadata?.encoding ?? ''), ENCRYPTED_ENCODING, `${at}: ${JSON.stringify(payload)}`);
        assert.equal(unb64(payload.metadata?.[METADATA_KEY_ID] ?? ''), keyIdOf(TEST_PAYLOAD_KEY), at);
      }
      assert.ok(payloads.some(({ at }) => at.includes('workflowExecutionStartedEventAttributes.input')), 'no input payload seen');
      // The static summary is user metadata: a payload, sealed too.
      assert.ok(payloads.some(({ at }) => at.includes('userMetadata.summary')), 'no user metadata payload seen');
      assert.ok(!readable(shown).includes('call_completed (call'), 'the static summary is in clear');
    });

    it('no file under the data dir holds the marker (Temporal SQLite with its WAL and SHM, the store, logs)', async () => {
      const files = listFiles(kit.stack.dataDir);
      assert.ok(files.includes('temporal.sqlite'), files.join(', '));
      assert.ok(files.some((f) => f.endsWith('-wal')), `no WAL file among ${files.join(', ')}`);
      assert.deepEqual(filesContaining(kit.stack.dataDir, marker), []);
    });

    it('the search attributes stay readable without a key, and the static summary with one', async () => {
      const described = await cli('workflow', 'describe', '--workflow-id', workflowId, '--output', 'json');
      const attrs = JSON.parse(described).workflowExecutionInfo.searchAttributes.indexedFields;
      assert.equal(JSON.parse(unb64(attrs.CallId.data)), callId, described.slice(0, 2000));
      assert.equal(JSON.parse(unb64(attrs.CallbackEventType.data)), 'call_completed');
      assert.equal(unb64(attrs.CallId.metadata.encoding), 'json/plain');
      assert.ok(!readable(described).includes(marker));
      const listed = await cli('workflow', 'list', '--query', `CallId = "${callId}"`, '--output', 'json');
      assert.ok(listed.includes(workflowId), listed);
      // The service's client holds the key: the summary decodes.
      const description = await kit.stack.client.workflow.getHandle(workflowId).describe();
      assert.equal(await description.staticSummary(), `call_completed (call ${callId.slice(0, 12)})`);
      // And the event itself is readable through the API, for callers with a key.
      const status = await kit.eventStatus(eventId);
      assert.equal(status.status, 'delivered');
    });

    describe('codec server', () => {
      const encode = (base: string, payloads: unknown[], headers: Record<string, string> = {}) =>
        call(base, 'POST', '/codec/encode', { payloads }, { 'x-namespace': 'default', ...headers });
      const decode = (base: string, payloads: unknown[], headers: Record<string, string> = {}) =>
        call(base, 'POST', '/codec/decode', { payloads }, { 'x-namespace': 'default', ...headers });
      const jsonPayload = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });

      it('encodes, then decodes back to the same payload', async () => {
        const original = [jsonPayload({ summary: marker }), jsonPayload('second')];
        const encoded = await encode(kit.stack.api, original);
        assert.equal(encoded.status, 200, JSON.stringify(encoded.body));
        assert.equal(encoded.body.payloads.length, 2);
        for (const p of encoded.body.payloads) {
          assert.equal(unb64(p.metadata.encoding), ENCRYPTED_ENCODING);
          assert.equal(unb64(p.metadata[METADATA_KEY_ID]), keyIdOf(TEST_PAYLOAD_KEY));
          assert.ok(!unb64(p.data).includes(marker));
        }
        const decoded = await decode(kit.stack.api, encoded.body.payloads);
        assert.equal(decoded.status, 200, JSON.stringify(decoded.body));
        assert.deepEqual(decoded.body, { payloads: original });
      });

      it('decodes a real payload from the workflow history into the clear event', async () => {
        const shown = JSON.parse(await show(workflowId));
        const started = shown.events.find((e: any) => e.workflowExecutionStartedEventAttributes);
        const [input] = started.workflowExecutionStartedEventAttributes.input.payloads;
        const decoded = await decode(kit.stack.api, [input]);
        assert.equal(decoded.status, 200, JSON.stringify(decoded.body));
        const [payload] = decoded.body.payloads;
        assert.equal(unb64(payload.metadata.encoding), 'json/plain');
        const arg = JSON.parse(unb64(payload.data));
        assert.equal(arg.event.id, eventId);
        assert.equal(arg.event.data.callId, callId);
        assert.equal(arg.event.data.summary, `Caller asked about ${marker}`);
        assert.equal(arg.event.data.extracted.phone, `+1-555-${marker}`);
      });

      it('lets the CLI show the history decoded (`--codec-endpoint`), the operator’s view', async () => {
        const decoded = await cli('workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--codec-endpoint', `${kit.stack.api}/codec`);
        assert.ok(readable(decoded).includes(`Call me back on +1 555 ${marker}`), 'the CLI did not decode through the codec server');
      });

      it('refuses a tampered payload and a malformed body with a 400', async () => {
        const [sealed] = (await encode(kit.stack.api, [jsonPayload('x')])).body.payloads;
        const bytes = Buffer.from(sealed.data, 'base64');
        bytes[bytes.length - 1] ^= 1;
        const tampered = await decode(kit.stack.api, [{ ...sealed, data: bytes.toString('base64') }]);
        assert.equal(tampered.status, 400, JSON.stringify(tampered.body));
        assert.equal(tampered.body.error.code, 'undecodable');
        const malformed = await call(kit.stack.api, 'POST', '/codec/decode', { payloads: 'nope' });
        assert.equal(malformed.status, 400, JSON.stringify(malformed.body));
      });

      it('answers the Web UI’s CORS preflight and its requests', async () => {
        const origin = 'http://127.0.0.1:8233';
        const pre = await fetch(`${kit.stack.api}/codec/decode`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'x-namespace,content-type,authorization',
          },
        });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get('access-control-allow-origin'), origin);
        assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
        assert.match(pre.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
        const allowed = (pre.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
        for (const h of ['x-namespace', 'content-type', 'authorization']) assert.ok(allowed.includes(h), `${h} not in ${allowed.join(',')}`);
        const res = await encode(kit.stack.api, [jsonPayload(1)], { origin });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('access-control-allow-origin'), origin);
        assert.match(res.headers.get('vary') ?? '', /origin/i);
      });

      it('allows only the configured origins when given', async () => {
        const ui = 'http://ui.example:8080';
        const server = await listen(
          apiOn(kit.stack, {
            apiKeys: [],
            log: createLogger('error', 'codec-test'),
            codec: { codec: kit.stack.codec, origins: [ui] },
          }),
        );
        closers.push(server.close);
        const preflight = (origin: string) =>
          fetch(`${server.base}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        assert.equal((await preflight(ui)).headers.get('access-control-allow-origin'), ui);
        assert.equal((await preflight('http://evil.example')).headers.get('access-control-allow-origin'), null);
      });

      it('needs an admin key when keys are configured (preflight excepted)', async () => {
        const server = await listen(
          apiOn(kit.stack, {
            apiKeys: [{ key: 'k1', role: 'admin' }, { key: 'i1', role: 'ingest' }],
            log: createLogger('error', 'codec-test'),
            codec: { codec: kit.stack.codec },
          }),
        );
        closers.push(server.close);
        const [sealed] = (await encode(kit.stack.api, [jsonPayload({ summary: marker })])).body.payloads;

        const none = await decode(server.base, [sealed]);
        assert.equal(none.status, 401, JSON.stringify(none.body));
        assert.ok(!JSON.stringify(none.body).includes(marker));
        const wrong = await decode(server.base, [sealed], { authorization: 'Bearer nope' });
        assert.equal(wrong.status, 401);
        const ingest = await decode(server.base, [sealed], { authorization: 'Bearer i1' });
        assert.equal(ingest.status, 403, JSON.stringify(ingest.body));
        assert.ok(!JSON.stringify(ingest.body).includes(marker));
        assert.equal((await encode(server.base, [jsonPayload(1)], { authorization: 'Bearer i1' })).status, 403);
        const admin = await decode(server.base, [sealed], { authorization: 'Bearer k1' });
        assert.equal(admin.status, 200, JSON.stringify(admin.body));
        assert.deepEqual(JSON.parse(unb64(admin.body.payloads[0].data)), { summary: marker });
        // The CLI, given an admin key for the codec server, decodes.
        const args = ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--codec-endpoint', `${server.base}/codec`];
        assert.ok(readable(await cli(...args, '--codec-auth', 'Bearer k1')).includes(marker));

        const pre = await fetch(`${server.base}/codec/decode`, {
          method: 'OPTIONS',
          headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
        });
        assert.equal(pre.status, 204);
        // A 401 still carries CORS headers, so the UI can tell the operator why.
        const denied = await decode(server.base, [sealed], { origin: 'http://127.0.0.1:8233' });
        assert.equal(denied.status, 401);
        assert.equal(denied.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
      });
    });
  });
});
