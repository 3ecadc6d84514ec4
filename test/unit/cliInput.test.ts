import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../../src/cli/exit';
import { bodyFrom, integer, jsonFlag, list, pair, timeFlag } from '../../src/cli/input';

/** What the CLI reads from a command line: bodies, lists, pairs, numbers, times. */

describe('CLI input', () => {
  it('reads a body from --data or --file, and refuses both, neither-object and bad JSON', () => {
    assert.deepEqual(bodyFrom({ data: '{"url":"https://a.example.com"}' }), { url: 'https://a.example.com' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-input-'));
    const file = path.join(dir, 'body.json');
    fs.writeFileSync(file, '{"type":"call_started"}');
    assert.deepEqual(bodyFrom({ file }), { type: 'call_started' });
    assert.equal(bodyFrom({}), undefined);
    assert.throws(() => bodyFrom({ data: '{}', file }), UsageError);
    assert.throws(() => bodyFrom({ data: '[1]' }), /must be a JSON object/);
    assert.throws(() => bodyFrom({ data: '{nope' }), /--data is not valid JSON/);
    assert.throws(() => bodyFrom({ file: path.join(dir, 'missing.json') }), /cannot read --file .*ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  it('reads lists, key=value pairs, JSON flags and whole numbers; a bad value is commander\'s usage error', () => {
    assert.deepEqual(list('call_completed, escalation_requested,,'), ['call_completed', 'escalation_requested']);
    assert.deepEqual(pair('b=2=3', pair('a=1')), { a: '1', b: '2=3' });
    assert.throws(() => pair('novalue'), InvalidArgumentError);
    assert.deepEqual(jsonFlag('{"data.disposition":"qualified"}'), { 'data.disposition': 'qualified' });
    assert.throws(() => jsonFlag('{'), InvalidArgumentError);
    assert.equal(integer(0)('0'), 0);
    for (const bad of ['-1', '1.5', 'ten', '']) assert.throws(() => integer(0)(bad), InvalidArgumentError, bad);
  });

  it('reads a time as ISO 8601, or as a span back from now', () => {
    const now = () => new Date('2026-11-30T12:00:00.000Z');
    const time = timeFlag(now);
    assert.equal(time('2026-11-29T10:00:00Z'), '2026-11-29T10:00:00Z');
    assert.equal(time('90m'), '2026-11-30T10:30:00.000Z');
    assert.equal(time('6h'), '2026-11-30T06:00:00.000Z');
    assert.equal(time('2d'), '2026-11-28T12:00:00.000Z');
    assert.equal(time('30s'), '2026-11-30T11:59:30.000Z');
    assert.throws(() => time('yesterday'), InvalidArgumentError);
  });
});
