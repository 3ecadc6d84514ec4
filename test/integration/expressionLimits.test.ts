import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { TRANSFORM_HARD_LIMIT_MS } from '../../src/domain/transform';
import { generateSecret } from '../../src/domain/signing';
import { fastRetry, unique, useKit } from '../helpers/kit';
import { call } from '../helpers/stack';

/**
 * Expressions an endpoint's owner writes (filters, transforms) run in the shared worker, so one
 * endpoint's pathological expression must not stall anyone else's deliveries: filters run on RE2
 * (linear time), transforms in threads that are terminated at the hard limit.
 */

/**
 * Catastrophic for a backtracking engine: about 2^40 steps on the value below, which the old
 * engine would have spent days on (the same pattern took 10.6 s on 27 characters), per event.
 */
const CATASTROPHIC = '^(a+)+$';
const LEAD = `${'a'.repeat(40)}!`;
/** A single jsonata step (its regexes are JavaScript's) that never returns in practice. */
const RUNAWAY_TRANSFORM = `{ "lead": $contains(data.metadata.leadId, /${CATASTROPHIC}/) }`;

/** Generous for a busy 2-core machine; the stall it guards against is measured in hours. */
const LATENCY_BOUND_MS = 10_000;

const X_EVENTS = 6;
const Y_EVENTS = 6;

describe('expressions cannot stall other endpoints', function () {
  this.timeout(180_000);
  const kit = useKit();
  const api = (method: string, path: string, body?: unknown) => call(kit.stack.api, method, path, body);

  it('refuses a filter regex RE2 cannot run, at create and at PATCH, naming the construct', async () => {
    const r = await kit.receiver();
    const created = await api('POST', '/v1/endpoints', { id: unique('ep'), url: r.url, filter: { 'data.disposition': { $regex: '(qual)\\1' } } });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.error.code, 'invalid_request');
    assert.match(created.body.error.message, /filter\["data\.disposition"\]\.\$regex uses a backreference \(\\1\), which the linear-time regex engine \(RE2\) cannot run/);

    const ep = await kit.createEndpoint({ url: r.url });
    const patched = await api('PATCH', `/v1/endpoints/${ep.id}`, { filter: { 'data.disposition': { $not: { $regex: '(?<!dis)qualified' } } } });
    assert.equal(patched.status, 400, JSON.stringify(patched.body));
    assert.match(patched.body.error.message, /uses a negative lookbehind \(\?<!…\)/);
    assert.deepEqual(patched.body.error.details.map((d: { path: string }) => d.path), ['filter.data.disposition.$not.$regex']);
    // The catastrophic pattern itself is fine on RE2: it is accepted, and answers at once.
    const accepted = await api('PATCH', `/v1/endpoints/${ep.id}`, { filter: { 'data.metadata.leadId': { $regex: CATASTROPHIC } } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  });

  it('matches nothing for a stored filter RE2 refuses, and goes on matching the other endpoints', async () => {
    const r = await kit.receiver();
    // Stored before regexes ran on RE2: straight into the store, as the API now refuses it.
    const stale = unique('ep-stale');
    await kit.stack.store.createEndpoint({
      id: stale,
      secret: generateSecret(),
      settings: { url: r.urlFor('/stale'), filter: { 'data.metadata.test': kit.tag, 'data.disposition': { $regex: 'qual(?=ified)' } } },
    });
    const fresh = await kit.createEndpoint({ url: r.url, eventTypes: ['call_completed'] });
    const { id } = await kit.send(kit.completedCall(unique('call')));
    const status = await kit.waitForStatus(id, 'delivered');
    assert.deepEqual(status.deliveries.map((d: { endpointId: string }) => d.endpointId), [fresh.id]);
    assert.deepEqual(r.requests.map((req) => req.path), ['/hook']);
    // Patching the filter brings it back.
    const patched = await api('PATCH', `/v1/endpoints/${stale}`, { filter: { 'data.metadata.test': kit.tag, 'data.disposition': { $regex: '^qualified$' } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const again = await kit.send(kit.completedCall(unique('call')));
    const both = await kit.waitForStatus(again.id, 'delivered');
    assert.deepEqual(both.deliveries.map((d: { endpointId: string }) => d.endpointId).sort(), [fresh.id, stale].sort());
  });

  it("answers a preview whose transform runs away with 422 transform_failed: the API's thread is stopped", async () => {
    const r = await kit.receiver();
    const ep = await kit.createEndpoint({ url: r.url, eventTypes: ['call_completed'], transform: { jsonata: RUNAWAY_TRANSFORM } });
    const { type, data } = kit.completedCall(unique('call'), { metadata: { leadId: LEAD, test: kit.tag } });
    const res = await api('POST', `/v1/endpoints/${ep.id}/preview`, { type, data });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'transform_failed');
    assert.match(res.body.error.message, new RegExp(`longer than ${TRANSFORM_HARD_LIMIT_MS} ms`));
    // And the API still answers the next preview normally.
    assert.equal((await api('PATCH', `/v1/endpoints/${ep.id}`, { transform: { jsonata: '{ "lead": data.metadata.leadId }' } })).status, 200);
    const ok = await api('POST', `/v1/endpoints/${ep.id}/preview`, { type, data });
    assert.deepEqual(ok.body.body, { lead: LEAD });
  });

  it("delivers another endpoint's events with their usual latency while one endpoint's filter and transform run away", async () => {
    const rx = await kit.receiver();
    const ry = await kit.receiver();
    // X: the endpoint whose owner wrote the pathological expressions. Its regex comes first, so it
    // is evaluated on every event of the test, Y's included (Y's events carry the same lead id).
    const x = await kit.createEndpoint({
      url: rx.url,
      eventTypes: ['call_completed'],
      retry: fastRetry(2),
      filter: { 'data.metadata.leadId': { $not: { $regex: CATASTROPHIC } }, 'data.metadata.tenant': 'x' },
      transform: { jsonata: RUNAWAY_TRANSFORM },
    });
    // Y: a plain endpoint, standing in for another tenant's (tenants come later).
    const y = await kit.createEndpoint({ url: ry.url, eventTypes: ['call_completed'], filter: { 'data.metadata.tenant': 'y' } });
    const event = (tenant: string) => kit.completedCall(unique('call'), { metadata: { leadId: LEAD, tenant, test: kit.tag } });

    /** Sends Y's events one after the other, each timed from its POST to its arrival at Y's receiver. */
    async function yLatencies(count: number): Promise<number[]> {
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const sentAt = Date.now();
        const { id } = await kit.send(event('y'));
        const deadline = sentAt + 60_000;
        let got = ry.requests.find((req) => req.webhookId === id);
        while (!got && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 10));
          got = ry.requests.find((req) => req.webhookId === id);
        }
        assert.ok(got, `Y's event ${id} was not delivered within 60 s`);
        new Webhook(y.secret).verify(got.body, got.headers as Record<string, string>);
        latencies.push(got.at - sentAt);
      }
      return latencies;
    }

    const usual = await yLatencies(3);
    const xIds = await Promise.all(Array.from({ length: X_EVENTS }, () => kit.send(event('x')).then((sent) => sent.id)));
    const during = await yLatencies(Y_EVENTS);
    const xReviewedEarly = await Promise.all(xIds.map(async (id) => (await kit.delivery(`${id}~${x.id}`))?.status === 'awaiting_review'));
    console.log(`      Y delivery latency (ms), alone: ${usual.join(', ')}; while X's ${X_EVENTS} events ran away: ${during.join(', ')}`);
    console.log(`      X deliveries already in review when Y's last event arrived: ${xReviewedEarly.filter(Boolean).length} of ${X_EVENTS}`);
    for (const latency of during) assert.ok(latency < LATENCY_BOUND_MS, `Y waited ${latency} ms for a delivery: ${during.join(', ')}`);

    // X's own events: matched (the filter answered), then stopped in the transform, sent nowhere.
    for (const id of xIds) {
      const d = await kit.waitForDelivery(`${id}~${x.id}`, 'awaiting_review', 60_000);
      assert.match(d.reason, new RegExp(`^transform_failed: the transform ran longer than ${TRANSFORM_HARD_LIMIT_MS} ms; its thread was stopped`));
      assert.equal(d.attempts.length, 0);
    }
    assert.equal(rx.requests.length, 0);
    assert.equal(ry.requests.length, usual.length + during.length);
  });
});
