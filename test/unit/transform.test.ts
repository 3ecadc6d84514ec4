import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../../src/errors';
import { compileTransform, TRANSFORM_OUTPUT_LIMIT_BYTES, TRANSFORM_TIME_LIMIT_MS } from '../../src/domain/transform';
import { eventBody } from '../../src/domain/outgoing';

/** The preview's referencer: links become a placeholder reference. */
const placeholder = async () => 'https://callbacks.example/v1/references/(token)';
import type { Endpoint } from '../../src/domain/endpoint';
import { createTransformPool, type TransformRunner } from '../../src/transforms/pool';

const body = {
  id: 'evt_1',
  type: 'call_completed',
  timestamp: '2026-11-29T10:00:05Z',
  data: {
    callId: 'call-42',
    startedAt: '2026-11-29T09:58:00Z',
    endedAt: '2026-11-29T10:00:00Z',
    durationMs: 120_400,
    endedReason: 'caller_hangup',
    disposition: 'booked',
    summary: 'Booked a visit for Tuesday',
    metadata: {
      leadId: '00Q5g00000ABCDE',
      opportunityId: '0065g00000XYZ12',
      hubspotContactId: '51',
      customerName: 'Ada Lovelace',
      customerEmail: 'ada@example.com',
    },
  },
};

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(hasCode(err, 'transform_failed'), `expected transform_failed, got ${String(err)}`);
  return err;
}

describe('transforms', () => {
  it('evaluates the issue example on the body', async () => {
    const t = compileTransform({
      jsonata: '{ "Subject": "Call " & data.callId, "Status": data.disposition = "booked" ? "Completed" : "Open", "WhoId": data.metadata.leadId }',
    });
    assert.deepEqual(JSON.parse(await t.run(body)), { Subject: 'Call call-42', Status: 'Completed', WhoId: '00Q5g00000ABCDE' });
  });

  it('refuses an expression that does not compile, with the position', () => {
    assert.throws(
      () => compileTransform({ jsonata: '{ "a": data.callId, ' }),
      (err: unknown) => {
        assert.ok(hasCode(err, 'invalid_transform'));
        const [detail] = err.details as { position: number; path: string }[];
        assert.equal(detail.path, 'transform.jsonata');
        assert.equal(typeof detail.position, 'number');
        assert.match(err.message, /at position \d+/);
        return true;
      },
    );
  });

  it('fails a result that is not an object or array, and $error', async () => {
    assert.match((await failure(compileTransform({ jsonata: '"just a string"' }).run(body))).message, /object or array, not string/);
    assert.match((await failure(compileTransform({ jsonata: 'data.nothing' }).run(body))).message, /not nothing/);
    assert.match((await failure(compileTransform({ jsonata: '$error("no lead")' }).run(body))).message, /no lead/);
    assert.deepEqual(JSON.parse(await compileTransform({ jsonata: '[data.callId]' }).run(body)), ['call-42']);
  });

  it('stops an expression that runs long at about the time limit', async () => {
    // A recursion that never ends on its own: only the time bound stops it.
    // Many small steps (the bound is checked at each step; see docs/transforms.md for one huge step).
    const t = compileTransform({ jsonata: '( $f := function($n) { $n > 1e12 ? $n : $f($n + 1) + 0 }; { "x": $count([1..3000].([1..3000].($ * 2))) + $f(0) } )' });
    const started = Date.now();
    const err = await failure(t.run(body));
    const took = Date.now() - started;
    assert.ok(took >= TRANSFORM_TIME_LIMIT_MS - 5 && took < 1_000, `took ${took} ms`);
    assert.match(err.message, /longer than 100 ms|stack|Stack/);
  });

  it('stops a busy loop by the clock', async () => {
    const t = compileTransform({ jsonata: '{ "n": $count([1..3000].([1..3000].($string($)))) }' });
    const started = Date.now();
    const err = await failure(t.run(body));
    const took = Date.now() - started;
    assert.match(err.message, /longer than 100 ms/);
    assert.ok(took < 1_000, `took ${took} ms`);
  });

  it('refuses an output over 256 KiB', async () => {
    // One builtin call makes the bytes, so the time bound cannot fire first on a busy machine.
    const err = await failure(compileTransform({ jsonata: '{ "big": $pad("", 270000, "x") }' }).run(body));
    assert.match(err.message, new RegExp(`at most ${TRANSFORM_OUTPUT_LIMIT_BYTES}`));
    // Just under the bound is sent.
    const ok = await compileTransform({ jsonata: '{ "big": $pad("", 260000, "x") }' }).run(body);
    assert.ok(Buffer.byteLength(ok) <= TRANSFORM_OUTPUT_LIMIT_BYTES);
  });

  it('sees only the scoped body: a sensitive field the endpoint is not approved for is absent', async () => {
    const endpoint = { id: 'ep', url: 'https://example.com', createdAt: '', updatedAt: '', transform: { jsonata: '{ "s": data.summary, "c": data.callId }' } } as Endpoint;
    const event = { id: 'evt_1', type: 'call_completed', occurredAt: body.timestamp, data: body.data };
    const transforms: TransformRunner = createTransformPool({ threads: 1 });
    try {
      assert.deepEqual(JSON.parse(await eventBody(endpoint, event, transforms, placeholder)), { c: 'call-42' });
      const approved = { ...endpoint, payloadScope: { sensitive: true } };
      assert.deepEqual(JSON.parse(await eventBody(approved, event, transforms, placeholder)), { s: 'Booked a visit for Tuesday', c: 'call-42' });
    } finally {
      await transforms.close();
    }
  });

  describe('the worked mappings of docs/transforms.md', () => {
    const doc = readFileSync(join(__dirname, '../../docs/transforms.md'), 'utf8');
    const blocks = [...doc.matchAll(/```jsonata\n([\s\S]*?)```/g)].map((m) => m[1]);
    const run = async (i: number) => JSON.parse(await compileTransform({ jsonata: blocks[i] }).run(body));

    it('has the three mappings', () => assert.equal(blocks.length, 3));

    it('Salesforce Task', async () => {
      const task = await run(0);
      assert.equal(task.Subject, 'Call call-42');
      assert.equal(task.Status, 'Completed');
      assert.equal(task.WhoId, '00Q5g00000ABCDE');
      assert.equal(task.WhatId, '0065g00000XYZ12');
      assert.equal(task.ActivityDate, '2026-11-29');
      assert.equal(task.CallDurationInSeconds, 120);
      assert.equal(task.Description, 'Booked a visit for Tuesday');
      assert.equal(task.TaskSubtype, 'Call');
    });

    it('HubSpot note', async () => {
      const note = await run(1);
      assert.equal(note.properties.hs_timestamp, '2026-11-29T10:00:05Z');
      assert.equal(note.properties.hs_note_body, 'Call call-42 ended (caller_hangup), disposition booked.');
      assert.deepEqual(note.associations, [{ to: { id: '51' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] }]);
    });

    it('Zendesk ticket', async () => {
      const { ticket } = await run(2);
      assert.equal(ticket.subject, 'Voice agent call call-42: booked');
      assert.equal(ticket.comment.body, 'Call ended 2026-11-29T10:00:00Z (caller_hangup, 120 s).');
      assert.deepEqual(ticket.requester, { name: 'Ada Lovelace', email: 'ada@example.com' });
      assert.equal(ticket.external_id, 'call-42');
      assert.deepEqual(ticket.tags, ['voice-agent', 'booked']);
    });
  });
});
