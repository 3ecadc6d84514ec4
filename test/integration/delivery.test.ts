import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { searchAttributes } from '../../workflows/contract';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call, eventually, type Stack } from '../helpers/stack';

describe('delivery through the real stack', function () {
  this.timeout(90_000);
  const kit = useKit();
  const { receiver, createEndpoint, completedCall, eventStatus, waitForStatus } = kit;
  let stack: Stack;
  before(() => {
    stack = kit.stack;
  });

  it('delivers a signed, scoped webhook that standardwebhooks verifies', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'], headers: { 'x-tenant': 'acme' }, auth: { type: 'bearer', token: 'tok-1' } });
    const callId = unique('call');
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(callId));
    assert.equal(sent.status, 202);
    assert.equal(sent.body.duplicate, false);
    const [got] = await r.waitFor(1);

    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as any;
    assert.equal(verified.id, sent.body.id);
    assert.equal(got.headers['webhook-id'], sent.body.id);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.match(String(got.headers['user-agent']), /^callback-events\//);
    assert.equal(got.headers['x-tenant'], 'acme');
    assert.equal(got.headers.authorization, 'Bearer tok-1');
    assert.equal(verified.type, 'call_completed');
    assert.equal(verified.timestamp, '2026-11-29T10:00:05Z');
    assert.equal(verified.data.callId, callId);
    assert.equal(verified.data.disposition, 'qualified');
    assert.deepEqual(verified.data.metadata, { leadId: 'L-1', test: kit.tag });
    // Sensitive fields are not delivered to an endpoint that is not approved for them.
    for (const field of ['summary', 'extracted', 'transcript']) assert.equal(field in verified.data, false, field);
    // A changed byte breaks the signature.
    assert.throws(() => new Webhook(ep.secret).verify(got.body.replace('qualified', 'qualifiex'), got.headers as Record<string, string>));

    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries.length, 1);
    assert.equal(done.deliveries[0].endpointId, ep.id);
    assert.equal(done.deliveries[0].attempts, 1);
    assert.equal(done.deliveries[0].lastStatusCode, 200);
    assert.ok(done.deliveries[0].deliveredAt);
  });

  it('finds the workflow by its call id through search attributes', async () => {
    const r = await receiver();
    const ep = await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const callId = unique('call');
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(callId));
    await waitForStatus(sent.body.id, 'delivered');
    const found = await eventually(async () => {
      const list = [];
      for await (const wf of stack.client.workflow.list({ query: `CallId = '${callId}' AND CallbackStatus = 'delivered'` })) list.push(wf);
      return list.length === 1 ? list : undefined;
    }, 20_000, 'visibility');
    assert.equal(found[0].workflowId, sent.body.workflowId);
    const attrs = found[0].typedSearchAttributes;
    assert.equal(attrs.get(searchAttributes.eventType), 'call_completed');
    assert.deepEqual(attrs.get(searchAttributes.endpoints), [ep.id]);
    assert.deepEqual(attrs.get(searchAttributes.deliveries), [`${ep.id}:delivered`]);
    const description = await stack.client.workflow.getHandle(sent.body.workflowId).describe();
    assert.match((await description.staticSummary()) ?? '', /call_completed \(call /);
  });

  it('describes its signals and queries for the Web UI\'s "Send a Signal"', async () => {
    const r = await receiver();
    await createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    await waitForStatus(sent.body.id, 'delivered');
    const metadata: any = await stack.client.workflow.getHandle(sent.body.workflowId).query('__temporal_workflow_metadata');
    const signals = Object.fromEntries(metadata.definition.signalDefinitions.map((d: { name: string; description: string }) => [d.name, d.description]));
    assert.match(signals.resend, /endpointId/);
    assert.match(signals.resend, /url/);
    assert.match(signals.discard, /endpointId/);
    assert.ok(signals.release);
    const queries = metadata.definition.queryDefinitions.map((d: { name: string }) => d.name);
    assert.ok(queries.includes('status'));
  });

  it('sends sensitive fields only to an approved endpoint, honouring include and exclude', async () => {
    const approved = await receiver();
    const narrow = await receiver();
    await createEndpoint({ url: approved.url, eventTypes: ['call_completed'], payloadScope: { sensitive: true, exclude: ['extracted.ssn_last4'] } });
    await createEndpoint({ url: narrow.url, eventTypes: ['call_completed'], payloadScope: { include: ['disposition', 'metadata.leadId'] } });
    await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const [a] = await approved.waitFor(1);
    const [n] = await narrow.waitFor(1);
    const approvedData = JSON.parse(a.body).data;
    assert.equal(approvedData.summary, 'Caller wants a callback on Tuesday');
    assert.deepEqual(approvedData.extracted, { preferred_date: '2026-12-01' });
    assert.equal(approvedData.transcript.length, 1);
    const narrowData = JSON.parse(n.body).data;
    assert.deepEqual(Object.keys(narrowData).sort(), ['callId', 'disposition', 'metadata']);
    assert.deepEqual(narrowData.metadata, { leadId: 'L-1' });
  });

  it('matches by event type and filter, and marks an unmatched event filtered', async () => {
    const r = await receiver();
    const ep = await createEndpoint({
      url: r.url,
      eventTypes: ['call_completed'],
      filter: { 'data.disposition': { $in: ['qualified'] }, 'data.durationMs': { $gte: 30000 } },
    });
    const skipped = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call'), { disposition: 'no_answer' }));
    const tooShort = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call'), { durationMs: 1000 }));
    const matched = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    await waitForStatus(matched.body.id, 'delivered');
    for (const id of [skipped.body.id, tooShort.body.id]) {
      const body = await eventStatus(id);
      assert.equal(body.deliveries.some((d: { endpointId: string }) => d.endpointId === ep.id), false);
    }
    assert.equal(r.requests.length, 1);
    assert.equal(JSON.parse(r.requests[0].body).id, matched.body.id);
  });

  it('recognises a repeated event id and delivers it once', async () => {
    const r = await receiver();
    await createEndpoint({ url: r.url, eventTypes: ['escalation_requested'] });
    const body = { id: unique('evt'), type: 'escalation_requested', data: { callId: unique('call'), priority: 'urgent', reasonCode: 'asked_for_human', metadata: { test: kit.tag } } };
    const first = await call(stack.api, 'POST', '/v1/events', body);
    const second = await call(stack.api, 'POST', '/v1/events', body);
    assert.equal(first.status, 202);
    assert.equal(second.status, 200);
    assert.equal(second.body.duplicate, true);
    assert.equal(second.body.workflowId, first.body.workflowId);
    await waitForStatus(body.id, 'delivered');
    // Also after the workflow closed, and through the Idempotency-Key header.
    const third = await call(stack.api, 'POST', '/v1/events', { ...body, id: undefined }, { 'idempotency-key': body.id });
    assert.equal(third.status, 200);
    assert.equal(third.body.id, body.id);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.requests.length, 1);
  });

  it('retries until the receiver succeeds, signing each attempt afresh', async () => {
    const r = await receiver((_req, i) => (i < 2 ? 503 : 200));
    const ep = await createEndpoint({ url: r.url, retry: fastRetry(5), eventTypes: ['call_completed'] });
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const got = await r.waitFor(3);
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries[0].attempts, 3);
    assert.equal(new Set(got.map((g) => g.headers['webhook-id'])).size, 1);
    for (const g of got) new Webhook(ep.secret).verify(g.body, g.headers as Record<string, string>);
  });

  it('falls back after exhaustion, then waits for review; resend and discard act through the API', async () => {
    const primary = await receiver(() => 500);
    const fallback = await receiver(() => 500);
    const ep = await createEndpoint({ url: primary.url, fallbackUrl: fallback.url, retry: fastRetry(2), eventTypes: ['call_completed'] });
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const review = await waitForStatus(sent.body.id, 'awaiting_review');
    assert.equal(primary.requests.length, 2);
    assert.equal(fallback.requests.length, 2);
    const delivery = review.deliveries[0];
    assert.equal(delivery.status, 'awaiting_review');
    assert.equal(delivery.attempts, 4);
    assert.equal(delivery.lastStatusCode, 500);

    primary.script(() => 200);
    const resend = await call(stack.api, 'POST', `/v1/deliveries/${delivery.id}/resend`, {});
    assert.equal(resend.status, 202);
    const done = await waitForStatus(sent.body.id, 'delivered');
    assert.equal(done.deliveries[0].status, 'delivered');
    assert.equal(primary.requests.length, 3);
    assert.equal(primary.requests[2].headers['webhook-id'], sent.body.id);

    // Discarding a delivered delivery makes no sense.
    const late = await call(stack.api, 'POST', `/v1/deliveries/${delivery.id}/discard`, {});
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'delivery_state_conflict');

    // A second event goes to review and is discarded.
    primary.script(() => 500);
    const other = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const otherReview = await waitForStatus(other.body.id, 'awaiting_review');
    const discard = await call(stack.api, 'POST', `/v1/deliveries/${otherReview.deliveries[0].id}/discard`, {});
    assert.equal(discard.status, 202);
    const discarded = await waitForStatus(other.body.id, 'discarded');
    assert.equal(discarded.deliveries[0].reason, 'discarded by an operator');
    assert.equal(ep.id, discarded.deliveries[0].endpointId);
  });

  it('delivers to the fallback url when the primary is exhausted', async () => {
    const primary = await receiver(() => 502);
    const fallback = await receiver(() => 204);
    const ep = await createEndpoint({ url: primary.url, fallbackUrl: fallback.url, retry: fastRetry(2), eventTypes: ['call_completed'] });
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const done = await waitForStatus(sent.body.id, 'delivered_fallback');
    assert.equal(done.deliveries[0].attempts, 3);
    const [got] = await fallback.waitFor(1);
    new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>);
  });

  it('resends to a one-off url given with the resend', async () => {
    const broken = await receiver(() => 500);
    const elsewhere = await receiver(() => 200);
    await createEndpoint({ url: broken.url, retry: fastRetry(1), eventTypes: ['call_completed'] });
    const sent = await call(stack.api, 'POST', '/v1/events', completedCall(unique('call')));
    const review = await waitForStatus(sent.body.id, 'awaiting_review');
    const res = await call(stack.api, 'POST', `/v1/deliveries/${review.deliveries[0].id}/resend`, { url: elsewhere.url });
    assert.equal(res.status, 202);
    await waitForStatus(sent.body.id, 'delivered');
    assert.equal(elsewhere.requests.length, 1);
    assert.equal(broken.requests.length, 1);
  });

  it('tests an endpoint with one signed endpoint_test attempt', async () => {
    const ok = await receiver(() => 200);
    const ep = await createEndpoint({ url: ok.url, eventTypes: ['call_completed'] });
    const res = await call(stack.api, 'POST', `/v1/endpoints/${ep.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.delivered, true);
    assert.equal(res.body.statusCode, 200);
    const [got] = await ok.waitFor(1);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as any;
    assert.equal(verified.type, 'endpoint_test');

    const failing = await receiver(() => 503);
    const bad = await createEndpoint({ url: failing.url, retry: fastRetry(3) });
    const failed = await call(stack.api, 'POST', `/v1/endpoints/${bad.id}/test`);
    assert.equal(failed.body.delivered, false);
    assert.equal(failed.body.statusCode, 503);
    assert.equal(failing.requests.length, 1);
  });
});
