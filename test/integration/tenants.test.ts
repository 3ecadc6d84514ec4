import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { fastRetry, plainCompletedCall, unique } from '../helpers/kit';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/stack';
import { STORE_KINDS } from '../helpers/storeKinds';
import { SERVICE_ADMIN, SERVICE_INGEST, startTenantStack, type TenantStack } from '../helpers/tenantStack';
import { searchAttributes } from '../../workflows/contract';

/**
 * Tenants over real HTTP, a real Temporal server and real receivers, on each store: the tenant
 * routes and who may call them, tenant keys (shown once, revoked at once on every API), matching
 * that never crosses tenants, the CallbackTenant search attribute, the tenant's ingest limit, and
 * deleting a tenant as a job.
 */

const completed = plainCompletedCall;

for (const kind of STORE_KINDS) {
  describe(`tenants (${kind})`, function () {
    this.timeout(120_000);
    let t: TenantStack;
    const receivers: Receiver[] = [];
    const receiver = async (status = 200) => {
      const r = await startReceiver(() => status);
      receivers.push(r);
      return r;
    };

    before(async function () {
      this.timeout(180_000);
      t = await startTenantStack(kind);
    });
    after(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await t?.close();
    });

    it('manages tenants with a service admin key only; the default tenant always exists and stays', async () => {
      const id = unique('clinic');
      const created = await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id, name: 'Clinic', metadata: { plan: 'hipaa' }, weight: 2 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual({ id: created.body.id, name: created.body.name, weight: created.body.weight }, { id, name: 'Clinic', weight: 2 });
      const generated = await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { name: 'No id given' });
      assert.match(generated.body.id, /^tn-[0-9a-f]{20}$/);
      assert.equal((await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id, name: 'Again' })).status, 409);
      assert.equal((await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id: 'Not A Slug', name: 'x' })).body.error.code, 'invalid_request');

      const list = await t.api(SERVICE_ADMIN, 'GET', '/v1/tenants');
      assert.ok(list.body.data.some((x: { id: string }) => x.id === 'default'));
      assert.ok(list.body.data.some((x: { id: string }) => x.id === id));
      const patched = await t.api(SERVICE_ADMIN, 'PATCH', `/v1/tenants/${id}`, { name: 'Clinic AG', metadata: null, limits: { ingestPerSecond: 100 } });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.name, 'Clinic AG');
      assert.equal(patched.body.metadata, undefined);
      assert.deepEqual((await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${id}`)).body.limits, { ingestPerSecond: 100 });
      assert.equal((await t.api(SERVICE_ADMIN, 'GET', '/v1/tenants/no-such-tenant')).status, 404);

      const del = await t.api(SERVICE_ADMIN, 'DELETE', '/v1/tenants/default');
      assert.equal(del.status, 409);
      assert.equal(del.body.error.code, 'conflict');

      // Neither a service ingest key nor any tenant key manages tenants.
      const tenant = await t.tenant('bank');
      for (const key of [SERVICE_INGEST, tenant.admin, tenant.ingest]) {
        const res = await t.api(key, 'GET', '/v1/tenants');
        assert.equal(res.status, 403, `${key}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'forbidden');
        assert.equal((await t.api(key, 'POST', `/v1/tenants/${tenant.id}/keys`, { role: 'admin' })).status, 403);
      }
      // A service key naming a tenant that does not exist.
      assert.equal((await t.api(SERVICE_ADMIN, 'GET', '/v1/endpoints', undefined, 'no-such-tenant')).status, 404);
    });

    it('answers the tenant routes as the OpenAPI document says', async () => {
      const doc = (await t.api(SERVICE_ADMIN, 'GET', '/openapi.json')).body;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      const documented = (res: Awaited<ReturnType<TenantStack['api']>>, method: string, docPath: string) => {
        const response = doc.paths[docPath]?.[method]?.responses[String(res.status)];
        assert.ok(response, `${method} ${docPath} answered ${res.status}, which the document does not list`);
        const schema = response.content?.['application/json']?.schema;
        if (!schema) return res.body;
        const validate = ajv.compile({ ...schema, components: doc.components });
        assert.ok(validate(res.body), `${method} ${docPath} ${res.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
        return res.body;
      };
      const id = unique('doc');
      documented(await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id, name: 'Doc', metadata: { a: 'b' }, limits: { ingestPerSecond: 10 } }), 'post', '/v1/tenants');
      documented(await t.api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id, name: 'Doc' }), 'post', '/v1/tenants');
      documented(await t.api(SERVICE_ADMIN, 'GET', '/v1/tenants'), 'get', '/v1/tenants');
      documented(await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${id}`), 'get', '/v1/tenants/{id}');
      documented(await t.api(SERVICE_ADMIN, 'PATCH', `/v1/tenants/${id}`, { weight: 3 }), 'patch', '/v1/tenants/{id}');
      const key = documented(await t.api(SERVICE_ADMIN, 'POST', `/v1/tenants/${id}/keys`, { role: 'ingest' }), 'post', '/v1/tenants/{id}/keys');
      documented(await t.api(key.key, 'GET', '/v1/tenants'), 'get', '/v1/tenants');
      documented(await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${id}/keys`), 'get', '/v1/tenants/{id}/keys');
      documented(await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${id}/keys/${key.id}`), 'delete', '/v1/tenants/{id}/keys/{keyId}');
      documented(await t.api(SERVICE_ADMIN, 'GET', '/v1/endpoints', undefined, 'no-such-tenant'), 'get', '/v1/endpoints');
      documented(await t.api(SERVICE_ADMIN, 'DELETE', '/v1/tenants/default'), 'delete', '/v1/tenants/{id}');
      const job = documented(await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${id}`), 'delete', '/v1/tenants/{id}');
      const progress = await eventually(async () => {
        const res = await t.api(SERVICE_ADMIN, 'GET', `/v1/jobs/${job.jobId}`);
        return res.body?.status === 'completed' ? res : undefined;
      }, 30_000, 'the deletion job');
      documented(progress, 'get', '/v1/jobs/{id}');
      documented(await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${id}`), 'get', '/v1/tenants/{id}');
    });

    it('shows a key once, lists keys without their material, and revokes one at once on every API process', async () => {
      const tenant = await t.tenant('insurer');
      const made = await t.api(SERVICE_ADMIN, 'POST', `/v1/tenants/${tenant.id}/keys`, { role: 'admin', label: 'ops' });
      assert.equal(made.status, 201);
      assert.match(made.body.key, /^cbk_/);
      assert.match(made.body.id, /^key_/);
      const listed = await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${tenant.id}/keys`);
      assert.equal(listed.body.data.length, 3);
      assert.ok(!JSON.stringify(listed.body).includes(made.body.key), 'the key material is never listed');
      assert.ok(listed.body.data.every((k: Record<string, unknown>) => !('key' in k) && !('hash' in k)));
      // The store holds no key material either.
      assert.equal(await t.store.findTenantKey(made.body.key), undefined);

      // Both API processes accept it; a tenant key cannot act for another tenant.
      assert.equal((await t.api(made.body.key, 'GET', '/v1/endpoints')).status, 200);
      assert.equal((await t.api(made.body.key, 'GET', '/v1/endpoints', undefined, undefined, t.secondApi)).status, 200);
      assert.equal((await t.api(made.body.key, 'GET', '/v1/endpoints', undefined, 'default')).status, 403);

      const revoked = await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${tenant.id}/keys/${made.body.id}`);
      assert.equal(revoked.status, 204);
      for (const base of [t.base, t.secondApi]) {
        const res = await t.api(made.body.key, 'GET', '/v1/endpoints', undefined, undefined, base);
        assert.equal(res.status, 401, `revoked key still works on ${base}`);
      }
      assert.equal((await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${tenant.id}/keys/${made.body.id}`)).status, 404);
      // Tenant keys never open the codec server (it decodes every tenant's payloads).
      assert.equal((await t.api(tenant.admin, 'POST', '/codec/decode', { payloads: [] })).status, 401);
    });

    it('matches an event only to its own tenant’s endpoints, whatever the filters say; the same event id lives in each tenant', async () => {
      const tag = unique('match');
      const clinic = await t.tenant('clinic');
      const bank = await t.tenant('bank');
      const [clinicHook, bankHook, homeHook] = await Promise.all([receiver(), receiver(), receiver()]);
      const create = async (key: string, url: string, tenant?: string) => {
        const res = await t.api(key, 'POST', '/v1/endpoints', { url, filter: { 'data.metadata.test': tag } }, tenant);
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body as { id: string; secret: string };
      };
      const clinicEndpoint = await create(clinic.admin, clinicHook.url);
      await create(bank.admin, bankHook.url);
      await create(SERVICE_ADMIN, homeHook.url);

      const eventId = unique('evt');
      const posted = await t.api(clinic.ingest, 'POST', '/v1/events', { id: eventId, ...completed('call-1', tag) });
      assert.equal(posted.status, 202, JSON.stringify(posted.body));
      assert.equal(posted.body.workflowId, `${clinic.id}~event-${eventId}`);
      const [request] = await clinicHook.waitFor(1);
      new Webhook(clinicEndpoint.secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      });
      const event = await eventually(async () => {
        const res = await t.api(clinic.admin, 'GET', `/v1/events/${eventId}`);
        return res.body?.status === 'delivered' ? res.body : undefined;
      }, 30_000, 'the clinic event delivered');
      assert.deepEqual(event.deliveries.map((d: { endpointId: string }) => d.endpointId), [clinicEndpoint.id]);

      // The same id in the bank's tenant is a new event of its own, delivered to the bank only.
      const again = await t.api(bank.ingest, 'POST', '/v1/events', { id: eventId, ...completed('call-1', tag) });
      assert.equal(again.status, 202, JSON.stringify(again.body));
      assert.equal(again.body.duplicate, false);
      await bankHook.waitFor(1);
      await eventually(async () => (await t.api(bank.admin, 'GET', `/v1/events/${eventId}`)).body?.status === 'delivered', 30_000, 'the bank event delivered');
      assert.equal(clinicHook.requests.length, 1);
      assert.equal(homeHook.requests.length, 0, 'the default tenant got another tenant’s event');

      // Operators find each tenant's events by the CallbackTenant search attribute.
      const found: string[] = [];
      for await (const w of t.stack.client.workflow.list({ query: `CallbackTenant = '${clinic.id}'` })) found.push(w.workflowId);
      assert.deepEqual(found, [`${clinic.id}~event-${eventId}`]);
    });

    it('scopes operational events to the tenant of the endpoint they are about, and batches within the tenant', async () => {
      const tag = unique('ops');
      const clinic = await t.tenant('clinic');
      const bank = await t.tenant('bank');
      const failing = await receiver(500);
      const batched = await receiver();
      const failingEndpoint = await t.api(clinic.admin, 'POST', '/v1/endpoints', {
        url: failing.url,
        retry: fastRetry(1),
        eventTypes: ['call_completed'],
        filter: { 'data.metadata.test': tag },
      });
      assert.equal(failingEndpoint.status, 201);
      const batch = await t.api(clinic.admin, 'POST', '/v1/endpoints', {
        url: batched.url,
        eventTypes: ['call_completed'],
        batch: { maxSize: 2, maxWaitMs: 60_000 },
        filter: { 'data.metadata.test': tag },
      });
      assert.equal(batch.status, 201);
      // Every tenant's watcher of operational events about that endpoint id: only the clinic's may hear.
      const watchers = await Promise.all(
        [[clinic.admin, undefined], [bank.admin, undefined], [SERVICE_ADMIN, undefined]].map(async ([key]) => {
          const r = await receiver();
          const res = await t.api(key as string, 'POST', '/v1/endpoints', {
            url: r.url,
            eventTypes: ['delivery_exhausted'],
            filter: { 'data.endpointId': failingEndpoint.body.id },
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          return r;
        }),
      );
      for (const call of ['call-o1', 'call-o2']) assert.equal((await t.api(clinic.ingest, 'POST', '/v1/events', completed(call, tag))).status, 202);
      const [exhausted] = await watchers[0].waitFor(2);
      assert.equal(JSON.parse(exhausted.body).type, 'delivery_exhausted');
      const [sent] = await batched.waitFor(1);
      assert.equal(JSON.parse(sent.body).events.length, 2);
      // The endpoint's batcher is the clinic's too, for the UI's searches and for fairness.
      const batchers: string[] = [];
      for await (const w of t.stack.client.workflow.list({ query: `WorkflowType = 'batcher' AND CallbackTenant = '${clinic.id}'` })) batchers.push(w.workflowId);
      assert.deepEqual(batchers, [`batcher-${batch.body.id}`]);
      assert.deepEqual([watchers[1].requests.length, watchers[2].requests.length], [0, 0], 'another tenant heard of the clinic’s endpoint');
    });

    it('keeps each tenant’s referenced links and call ids apart, even under the same event id and call id', async () => {
      const tag = unique('refs');
      const eventId = unique('evt');
      const callId = unique('call');
      const got: Record<string, { link: string; reference: string; audit: string }> = {};
      const tenants = [await t.tenant('clinic'), await t.tenant('bank')];
      for (const tenant of tenants) {
        const hook = await receiver();
        const endpoint = await t.api(tenant.admin, 'POST', '/v1/endpoints', {
          url: hook.url,
          payloadScope: { sensitive: true },
          filter: { 'data.metadata.test': tag },
        });
        assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
        const link = `https://recordings.example/${tenant.id}.wav`;
        const sent = await t.api(tenant.ingest, 'POST', '/v1/events', {
          id: eventId,
          type: 'recording_ready',
          data: { callId, recordingId: 'rec-1', format: 'wav', durationMs: 1000, url: link, metadata: { test: tag } },
        });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        const [request] = await hook.waitFor(1);
        const body = new Webhook(endpoint.body.secret).verify(request.body, request.headers as Record<string, string>) as { data: { url: string } };
        got[tenant.id] = { link, reference: body.data.url, audit: tenant.admin };
      }
      for (const tenant of tenants) {
        // The reference, followed on this stack's API: each redirects to its own tenant's link.
        const res = await fetch(t.base + new URL(got[tenant.id].reference).pathname, { redirect: 'manual' });
        assert.equal(res.status, 302);
        assert.equal(res.headers.get('location'), got[tenant.id].link);
        const audit = await t.api(tenant.admin, 'GET', '/v1/audit?limit=100');
        assert.equal(audit.body.data.filter((r: { action: string }) => r.action === 'reference.fetch').length, 1, 'the fetch is in its tenant’s log only');
        // The call, by the same id in both: each tenant sees its own event.
        const seen = await eventually(async () => {
          const call = await t.api(tenant.admin, 'GET', `/v1/calls/${callId}`);
          return call.status === 200 && call.body.events.length > 0 ? call.body : undefined;
        }, 30_000, 'the call listed');
        assert.deepEqual(seen.events.map((e: { id: string }) => e.id), [eventId]);
      }
      assert.equal((await t.api(SERVICE_ADMIN, 'GET', `/v1/calls/${callId}`)).status, 404, 'the default tenant has no such call');
    });

    it('lists an event workflow from before tenants (no CallbackTenant) as the default tenant’s, and to no other', async () => {
      const tag = unique('legacy');
      const hook = await receiver();
      const endpoint = await t.api(SERVICE_ADMIN, 'POST', '/v1/endpoints', { url: hook.url, filter: { 'data.metadata.test': tag } });
      assert.equal(endpoint.status, 201);
      const eventId = unique('evt');
      // As the service started events before tenants: no tenant in the input, no CallbackTenant.
      await t.stack.client.workflow.start('callbackEvent', {
        taskQueue: t.taskQueue,
        workflowId: `event-${eventId}`,
        args: [{ event: { id: eventId, ...completed('call-legacy', tag) } }],
        typedSearchAttributes: [{ key: searchAttributes.eventType, value: 'call_completed' }],
      });
      await hook.waitFor(1);
      const deliveryId = `${eventId}~${endpoint.body.id}`;
      await eventually(async () => {
        const res = await t.api(SERVICE_ADMIN, 'GET', `/v1/deliveries?endpointId=${endpoint.body.id}`);
        return res.body?.data?.some((d: { id: string; status: string }) => d.id === deliveryId && d.status === 'delivered');
      }, 30_000, 'the legacy delivery listed for default');
      const other = await t.tenant('other');
      const theirs = await t.api(other.admin, 'GET', `/v1/deliveries?endpointId=${endpoint.body.id}`);
      assert.deepEqual(theirs.body.data, []);
    });

    it('limits a tenant’s ingest across all its keys with 429 and Retry-After, and leaves other tenants alone', async () => {
      const slow = await t.tenant('slow', { limits: { ingestPerSecond: 0.001 } });
      const other = await t.tenant('other');
      const tag = unique('limit');
      const first = await t.api(slow.ingest, 'POST', '/v1/events', completed('call-a', tag));
      assert.equal(first.status, 202, JSON.stringify(first.body));
      for (const [key, tenant] of [[slow.admin, undefined], [SERVICE_ADMIN, slow.id]] as const) {
        const over = await t.api(key, 'POST', '/v1/events', completed('call-b', tag), tenant);
        assert.equal(over.status, 429, JSON.stringify(over.body));
        assert.equal(over.body.error.code, 'rate_limited');
        assert.match(over.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      }
      assert.equal((await t.api(other.ingest, 'POST', '/v1/events', completed('call-c', tag))).status, 202);
      // Lifting the limit holds at the next request.
      assert.equal((await t.api(SERVICE_ADMIN, 'PATCH', `/v1/tenants/${slow.id}`, { limits: null })).status, 200);
      assert.equal((await t.api(slow.ingest, 'POST', '/v1/events', completed('call-d', tag))).status, 202);
    });

    it('deletes a tenant: its keys stop at once, its waiting deliveries end as discarded "tenant deleted", then its rows go', async () => {
      const gone = await t.tenant('gone');
      const failing = await receiver(500);
      const tag = unique('gone');
      const endpoint = await t.api(gone.admin, 'POST', '/v1/endpoints', { url: failing.url, retry: fastRetry(1), filter: { 'data.metadata.test': tag } });
      assert.equal(endpoint.status, 201);
      const eventId = unique('evt');
      assert.equal((await t.api(gone.ingest, 'POST', '/v1/events', { id: eventId, ...completed('call-g', tag) })).status, 202);
      const deliveryId = `${eventId}~${endpoint.body.id}`;
      await eventually(async () => (await t.api(gone.admin, 'GET', `/v1/deliveries/${deliveryId}`)).body?.status === 'awaiting_review', 30_000, 'awaiting review');
      // The failure begot an operational event (delivery_exhausted) of the tenant's own, which no
      // endpoint takes: once it has finished, the waiting event is the tenant's only open one.
      await eventually(async () => {
        const { eventIds } = await t.services.forTenant(gone.id).deliveries.openEvents({ limit: 10 });
        return eventIds.length === 1 && eventIds[0] === eventId;
      }, 30_000, 'the waiting event to be the tenant\'s only open one');

      const deleted = await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${gone.id}`);
      assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
      assert.match(deleted.body.jobId, /^job-/);
      assert.equal((await t.api(gone.admin, 'GET', '/v1/endpoints')).status, 401);
      assert.equal((await t.api(SERVICE_ADMIN, 'GET', `/v1/tenants/${gone.id}`)).status, 404);
      assert.equal((await t.api(SERVICE_ADMIN, 'GET', '/v1/endpoints', undefined, gone.id)).status, 404);
      assert.equal((await t.api(SERVICE_ADMIN, 'DELETE', `/v1/tenants/${gone.id}`)).status, 404);

      const job = await eventually(async () => {
        const res = await t.api(SERVICE_ADMIN, 'GET', `/v1/jobs/${deleted.body.jobId}`);
        return res.body?.status === 'completed' ? res.body : undefined;
      }, 30_000, 'the deletion job');
      assert.deepEqual(
        { kind: job.kind, tenantId: job.tenantId, total: job.total, done: job.done, failed: job.failed },
        { kind: 'delete_tenant', tenantId: gone.id, total: 1, done: 1, failed: 0 },
      );
      const snapshot = await eventually(async () => {
        const s = await t.services.forTenant(gone.id).events.snapshot(eventId);
        return s?.deliveries[0]?.status === 'discarded' ? s : undefined;
      }, 30_000, 'the delivery discarded');
      assert.equal(snapshot.deliveries[0].reason, 'tenant deleted');
      assert.equal(await t.store.getEndpoint(endpoint.body.id), undefined);
      assert.deepEqual(await t.store.listAttempts(deliveryId), []);
      assert.deepEqual(await t.store.listTenantKeys(gone.id), []);
    });
  });
}
