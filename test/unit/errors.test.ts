import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { CallbackEventsError, ERROR_CODES, hasCode } from '../../src/errors';
import { HTTP_STATUS } from '../../src/api/httpStatus';
import { errorHandler } from '../../src/api/errors';
import { deliveryStateConflict, temporalUnavailable } from '../../src/temporal/errors';

/** An app whose one route throws `err`; answers what the API's error handler makes of it. */
async function answerTo(err: unknown): Promise<{ status: number; headers: Headers; body: unknown; logged: unknown[] }> {
  const logged: unknown[] = [];
  const app = express();
  app.get('/boom', async () => {
    throw err;
  });
  app.use(errorHandler((e) => logged.push(e)));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/boom`);
    return { status: res.status, headers: res.headers, body: await res.json(), logged };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('errors', () => {
  describe('HTTP_STATUS', () => {
    it('gives every ErrorCode a 4xx or 5xx status, and names no other code', () => {
      for (const code of ERROR_CODES) {
        const status = HTTP_STATUS[code];
        assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
      }
      assert.deepEqual(Object.keys(HTTP_STATUS).sort(), [...ERROR_CODES].sort());
    });

    it('lists each code once, in snake_case', () => {
      assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
      for (const code of ERROR_CODES) assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    });
  });

  describe('errorHandler', () => {
    it('answers a domain error thrown in a route with the table\'s status and { error: { code, message, details } }', async () => {
      const { status, body } = await answerTo(deliveryStateConflict('retrying', 'Delivery is retrying.'));
      assert.equal(status, HTTP_STATUS.delivery_state_conflict);
      assert.equal(status, 409);
      assert.deepEqual(body, { error: { code: 'delivery_state_conflict', message: 'Delivery is retrying.', details: { status: 'retrying' } } });
    });

    it('leaves details out when there are none, and sends the error\'s headers', async () => {
      const { status, headers, body } = await answerTo(temporalUnavailable(new Error('connect ECONNREFUSED')));
      assert.equal(status, 503);
      assert.equal(headers.get('retry-after'), '5');
      assert.deepEqual(body, {
        error: { code: 'temporal_unavailable', message: 'Temporal cannot be reached right now; nothing was accepted. Retry later.' },
      });
    });

    it('answers other codes with their statuses', async () => {
      for (const code of ['not_found', 'conflict', 'rate_limited', 'invalid_request'] as const) {
        const { status, body } = await answerTo(new CallbackEventsError(code, `a ${code}`));
        assert.equal(status, HTTP_STATUS[code]);
        assert.deepEqual(body, { error: { code, message: `a ${code}` } });
      }
    });

    it('answers a 500 code and a foreign error as `internal`, logging them but not telling the caller', async () => {
      for (const err of [new CallbackEventsError('store_key_error', 'Cannot decrypt the secret of ep-1'), new Error('boom')]) {
        const { status, body, logged } = await answerTo(err);
        assert.equal(status, 500);
        assert.deepEqual(body, { error: { code: 'internal', message: 'Unexpected error; it has been logged.' } });
        assert.deepEqual(logged, [err]);
      }
    });
  });

  it('hasCode matches only our errors with one of the codes', () => {
    const err = new CallbackEventsError('conflict', 'taken');
    assert.ok(hasCode(err, 'conflict'));
    assert.ok(hasCode(err, 'not_found', 'conflict'));
    assert.ok(!hasCode(err, 'not_found'));
    assert.ok(!hasCode(Object.assign(new Error('x'), { code: 'conflict' }), 'conflict'));
    assert.ok(!hasCode(undefined, 'conflict'));
  });
});
