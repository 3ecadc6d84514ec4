import assert from 'node:assert/strict';
import { createLogger, REDACTED, redact, type LogLevel } from '../../src/log';

/** Runs `fn` with process.stderr.write captured; answers the JSON lines written. */
function capture(fn: () => void): Array<Record<string, any>> {
  const lines: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = original;
  }
  return lines.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe('log', () => {
  const log = (level: LogLevel = 'debug') => createLogger(level, 'test');

  it('writes one JSON line per entry, with the fields that are not sensitive as given', () => {
    const [entry, ...rest] = capture(() => log().info('delivered', { eventId: 'evt_1', endpointId: 'crm', status: 200, ms: 12 }));
    assert.equal(rest.length, 0);
    assert.equal(entry.level, 'info');
    assert.equal(entry.component, 'test');
    assert.equal(entry.msg, 'delivered');
    assert.deepEqual({ eventId: entry.eventId, endpointId: entry.endpointId, status: entry.status, ms: entry.ms }, { eventId: 'evt_1', endpointId: 'crm', status: 200, ms: 12 });
  });

  it('redacts secrets, tokens, authorization, passwords and API keys, in any spelling', () => {
    const fields = {
      secret: 'whsec_abc',
      webhookSecret: 'whsec_def',
      token: 't0k',
      accessToken: 't1k',
      authorization: 'Bearer xyz',
      Authorization: 'Bearer XYZ',
      password: 'hunter2',
      apiKey: 'k-1',
      api_key: 'k-2',
      'x-api-key': 'k-3',
      cookie: 'sid=1',
    };
    const [entry] = capture(() => log().warn('oops', fields));
    for (const key of Object.keys(fields)) assert.equal(entry[key], REDACTED, key);
    const line = JSON.stringify(entry);
    for (const value of Object.values(fields)) assert.ok(!line.includes(value), `${value} leaked`);
  });

  it("redacts the catalog's sensitive fields, nested in objects and arrays", () => {
    const [entry] = capture(() =>
      log().error('failed', {
        eventId: 'evt_2',
        event: {
          type: 'call_completed',
          data: {
            callId: 'call-9',
            summary: 'Caller SECRET-SUMMARY',
            transcript: [{ role: 'caller', text: 'SECRET-TRANSCRIPT' }],
            extracted: { ssn_last4: 'SECRET-EXTRACTED' },
            recordingUrl: 'https://rec.example/SECRET-URL',
          },
        },
        attempts: [{ phone: 'SECRET-PHONE', headers: { Authorization: 'Bearer SECRET-AUTH' }, status: 503 }],
      }),
    );
    const line = JSON.stringify(entry);
    assert.ok(!/SECRET-/.test(line), line);
    assert.equal(entry.event.data.callId, 'call-9');
    assert.equal(entry.event.data.summary, REDACTED);
    assert.equal(entry.event.data.transcript, REDACTED);
    assert.equal(entry.event.data.extracted, REDACTED);
    assert.equal(entry.event.data.recordingUrl, REDACTED);
    assert.equal(entry.attempts[0].phone, REDACTED);
    assert.equal(entry.attempts[0].headers.Authorization, REDACTED);
    assert.equal(entry.attempts[0].status, 503);
    assert.equal(entry.event.type, 'call_completed');
  });

  it('leaves the caller’s object untouched, and copes with cycles and Errors', () => {
    const fields: Record<string, unknown> = { token: 'abc', nested: { password: 'p' } };
    fields.self = fields;
    const out = redact({ ...fields, error: new Error('boom') }) as Record<string, any>;
    assert.equal(fields.token, 'abc');
    assert.equal((fields.nested as Record<string, unknown>).password, 'p');
    assert.equal(out.token, REDACTED);
    assert.equal(out.nested.password, REDACTED);
    assert.equal(out.self.token, REDACTED);
    assert.equal(out.self.self, '[circular]');
    assert.deepEqual(out.error, { name: 'Error', message: 'boom' });
    // and the logger writes such fields without throwing
    const [entry] = capture(() => log().info('cyclic', fields));
    assert.equal(entry.token, REDACTED);
  });

  it('writes nothing below its level', () => {
    assert.deepEqual(capture(() => log('warn').info('quiet', { token: 'x' })), []);
  });
});
