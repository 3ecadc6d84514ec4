import assert from 'node:assert/strict';
import type { Logger } from '../../src/log';
import { nextDelay, waitForTemporal } from '../../src/temporal/waitForTemporal';
import { lateServices } from '../../src/temporal/lateServices';
import type { TemporalServices } from '../../src/temporal/services';
import { hasCode } from '../../src/errors';

/** Keeps what was logged, to read back. */
function recordingLog(): Logger & { lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('waiting for Temporal', () => {
  it('doubles the wait between attempts up to the cap', () => {
    const waits = [500];
    while (waits.length < 8) waits.push(nextDelay(waits[waits.length - 1], 10_000));
    assert.deepEqual(waits, [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('retries until an attempt succeeds, logging each failure at warn with the address and the next wait', async () => {
    const log = recordingLog();
    let attempts = 0;
    const answer = await waitForTemporal(
      async () => {
        attempts++;
        if (attempts < 4) throw new Error(`refused ${attempts}`);
        return 'connected';
      },
      { address: '127.0.0.1:7999', log, firstDelayMs: 10, maxDelayMs: 30 },
    );
    assert.equal(answer, 'connected');
    assert.equal(attempts, 4);
    const waiting = log.lines.filter((l) => l.level === 'warn');
    assert.deepEqual(waiting.map((l) => l.msg), Array(3).fill('waiting for Temporal at 127.0.0.1:7999'));
    assert.deepEqual(waiting.map((l) => l.fields?.retryInMs), [10, 20, 30]);
    assert.deepEqual(waiting.map((l) => l.fields?.error), ['refused 1', 'refused 2', 'refused 3']);
    assert.deepEqual(log.lines.filter((l) => l.level === 'info').map((l) => l.fields), [{ address: '127.0.0.1:7999', attempts: 4 }]);
  });

  it('ends at once when aborted while waiting, with the abort reason', async () => {
    const stop = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => stop.abort(new Error('SIGTERM')), 50);
    await assert.rejects(
      waitForTemporal(() => Promise.reject(new Error('refused')), { address: 'a:1', log: recordingLog(), signal: stop.signal, firstDelayMs: 60_000 }),
      /SIGTERM/,
    );
    assert.ok(Date.now() - startedAt < 5_000);
  });
});

describe('the API before Temporal answers (lateServices)', () => {
  it('fails calls to Temporal as temporal_unavailable until ready, then hands them over', async () => {
    const late = lateServices();
    const err = await late.services.events.ping().then(() => undefined, (e: unknown) => e);
    assert.ok(hasCode(err, 'temporal_unavailable'), String(err));
    let pinged = 0;
    late.ready({ events: { ping: async () => void pinged++ } } as unknown as TemporalServices);
    await late.services.events.ping();
    assert.equal(pinged, 1);
    // Not a thenable: awaiting a part gives the part back.
    assert.equal(await Promise.resolve(late.services.jobs), late.services.jobs);
  });
});
