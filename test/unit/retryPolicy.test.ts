import assert from 'node:assert/strict';
import { RETRY_DEFAULTS, resolveRetry, type RetrySettings } from '../../src/domain/endpoint';
import { JITTER, jittered, nextDelayMs, parseRetryAfter, scheduledDelayMs, verdictOf } from '../../src/domain/retryPolicy';

const policy: RetrySettings = resolveRetry(undefined);
const now = new Date('2025-01-31T09:30:00Z');

describe('retry policy', () => {
  describe('verdictOf', () => {
    const retryable = [408, 425, 429, 500, 502, 503, 504, 599];
    const rejected = [300, 301, 302, 304, 400, 401, 403, 404, 409, 422];

    it('calls any 2xx delivered, whatever retryAllErrors says', () => {
      for (const statusCode of [200, 201, 202, 204, 299]) {
        assert.equal(verdictOf({ ok: true, statusCode }, false), 'delivered', String(statusCode));
        assert.equal(verdictOf({ ok: true, statusCode }, true), 'delivered', String(statusCode));
      }
    });

    it('retries when there was no answer (connection error or timeout)', () => {
      assert.equal(verdictOf({ ok: false }, false), 'retry');
      assert.equal(verdictOf({ ok: false, statusCode: undefined }, true), 'retry');
    });

    for (const statusCode of retryable) {
      it(`retries ${statusCode}`, () => {
        assert.equal(verdictOf({ ok: false, statusCode }, false), 'retry');
        assert.equal(verdictOf({ ok: false, statusCode }, true), 'retry');
      });
    }

    it('calls 410 gone, even with retryAllErrors', () => {
      assert.equal(verdictOf({ ok: false, statusCode: 410 }, false), 'gone');
      assert.equal(verdictOf({ ok: false, statusCode: 410 }, true), 'gone');
    });

    for (const statusCode of rejected) {
      it(`rejects ${statusCode}, and retries it with retryAllErrors`, () => {
        assert.equal(verdictOf({ ok: false, statusCode }, false), 'reject');
        assert.equal(verdictOf({ ok: false, statusCode }, true), 'retry');
      });
    }
  });

  describe('scheduledDelayMs', () => {
    it('follows the default policy: 5 s ×6 up to 10 h', () => {
      assert.deepEqual(
        { initialIntervalMs: policy.initialIntervalMs, backoffCoefficient: policy.backoffCoefficient, maxIntervalMs: policy.maxIntervalMs },
        { initialIntervalMs: 5_000, backoffCoefficient: 6, maxIntervalMs: 36_000_000 },
      );
      const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => scheduledDelayMs(policy, n));
      assert.deepEqual(delays, [5_000, 30_000, 180_000, 1_080_000, 6_480_000, 36_000_000, 36_000_000]);
    });

    it('caps at maxIntervalMs', () => {
      const retry: RetrySettings = { ...RETRY_DEFAULTS, initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 5_000 };
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 20].map((n) => scheduledDelayMs(retry, n)),
        [1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000],
      );
    });

    it('keeps a constant interval with coefficient 1', () => {
      const retry: RetrySettings = { ...RETRY_DEFAULTS, initialIntervalMs: 700, backoffCoefficient: 1 };
      assert.deepEqual([1, 2, 10].map((n) => scheduledDelayMs(retry, n)), [700, 700, 700]);
    });
  });

  describe('jittered', () => {
    it('is 0.8× at random() = 0 and 1.2× at random() = 1', () => {
      assert.equal(JITTER, 0.2);
      assert.equal(jittered(10_000, 1_000_000, () => 0), 8_000);
      assert.equal(jittered(10_000, 1_000_000, () => 1), 12_000);
      assert.equal(jittered(10_000, 1_000_000, () => 0.5), 10_000);
    });

    it('never goes above maxIntervalMs', () => {
      assert.equal(jittered(10_000, 11_000, () => 1), 11_000);
      assert.equal(jittered(36_000_000, 36_000_000, () => 1), 36_000_000);
      // Only the upper side is cut: the lower side still jitters below the cap.
      assert.equal(jittered(36_000_000, 36_000_000, () => 0), 28_800_000);
    });

    it('spreads Math.random samples over [0.8×, 1.2×]', () => {
      const base = 100_000;
      const samples = Array.from({ length: 10_000 }, () => jittered(base, 1_000_000_000));
      const min = Math.min(...samples);
      const max = Math.max(...samples);
      const mean = samples.reduce((sum, s) => sum + s, 0) / samples.length;
      assert.ok(min >= 0.8 * base, `min ${min}`);
      assert.ok(max <= 1.2 * base, `max ${max}`);
      assert.ok(min < 0.85 * base, `min ${min} not spread`);
      assert.ok(max > 1.15 * base, `max ${max} not spread`);
      assert.ok(Math.abs(mean - base) < 0.02 * base, `mean ${mean}`);
      assert.ok(new Set(samples).size > 1_000, 'samples are not varied');
    });
  });

  describe('parseRetryAfter', () => {
    it('reads seconds', () => {
      assert.equal(parseRetryAfter('120', now), 120_000);
      assert.equal(parseRetryAfter(' 7 ', now), 7_000);
      assert.equal(parseRetryAfter('0', now), 0);
    });

    it('reads an HTTP date relative to now', () => {
      const in30s = new Date(now.getTime() + 30_000).toUTCString();
      assert.equal(in30s, 'Fri, 31 Jan 2025 09:30:30 GMT');
      assert.equal(parseRetryAfter(in30s, now), 30_000);
      assert.equal(parseRetryAfter('Friday, 31-Jan-25 09:31:00 GMT', now), 60_000); // RFC 850 form
    });

    it('reads a past HTTP date as 0', () => {
      assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 0);
      assert.equal(parseRetryAfter(new Date(now.getTime() - 1_000).toUTCString(), now), 0);
    });

    it('answers undefined for garbage, empty or missing values', () => {
      for (const value of [undefined, '', '   ', 'soon', 'tomorrow-ish', '10 seconds', '12abc', '1e3', '0x10', '1.5', '-1', '1/2']) {
        assert.equal(parseRetryAfter(value, now), undefined, JSON.stringify(value));
      }
    });
  });

  describe('nextDelayMs', () => {
    // Attempt 2 of the default policy: scheduled 30 s, max 10 h.
    const scheduled = 30_000;
    const noJitter = () => 0.5;

    for (const statusCode of [429, 503]) {
      describe(`${statusCode} with Retry-After`, () => {
        it('waits at least the scheduled delay', () => {
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '10' }, now, () => 0), scheduled);
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '0' }, now, () => 1), scheduled);
        });

        it('waits as asked between the scheduled delay and the max, without jitter', () => {
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '120' }, now, () => 0), 120_000);
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '120' }, now, () => 1), 120_000);
        });

        it('waits no more than maxIntervalMs', () => {
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '99999999' }, now, noJitter), 36_000_000);
          const short: RetrySettings = { ...policy, maxIntervalMs: 60_000 };
          assert.equal(nextDelayMs(short, 2, { statusCode, retryAfter: '120' }, now, noJitter), 60_000);
        });

        it('reads the HTTP-date form', () => {
          const in10min = new Date(now.getTime() + 600_000).toUTCString();
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: in10min }, now, () => 0), 600_000);
          const past = new Date(now.getTime() - 600_000).toUTCString();
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: past }, now, () => 0), scheduled);
        });

        it('falls back to the jittered schedule when Retry-After is unreadable', () => {
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: 'soon' }, now, () => 0), 24_000);
          assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '1.5' }, now, () => 1), 36_000);
        });
      });
    }

    it('ignores Retry-After on other statuses', () => {
      for (const statusCode of [500, 502, 408]) {
        assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '120' }, now, () => 0), 24_000, String(statusCode));
        assert.equal(nextDelayMs(policy, 2, { statusCode, retryAfter: '120' }, now, () => 1), 36_000, String(statusCode));
      }
      assert.equal(nextDelayMs(policy, 2, { retryAfter: '120' }, now, () => 0), 24_000);
    });

    it('without Retry-After, jitters the schedule within ±20 %', () => {
      for (const statusCode of [undefined, 429, 500, 503]) {
        assert.equal(nextDelayMs(policy, 2, { statusCode }, now, () => 0), 24_000);
        assert.equal(nextDelayMs(policy, 2, { statusCode }, now, () => 1), 36_000);
      }
      for (let attempt = 1; attempt <= 7; attempt++) {
        const base = scheduledDelayMs(policy, attempt);
        for (let i = 0; i < 200; i++) {
          const delay = nextDelayMs(policy, attempt, { statusCode: 500 }, now);
          assert.ok(delay >= 0.8 * base && delay <= Math.min(1.2 * base, policy.maxIntervalMs), `attempt ${attempt}: ${delay}`);
        }
      }
    });
  });
});
