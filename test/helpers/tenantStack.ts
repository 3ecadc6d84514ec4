import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store';
import { createMetrics } from '../../src/metrics/registry';
import type { TemporalServices } from '../../src/temporal/services';
import { unique } from './kit';
import { listen } from './listen';
import { startOwnWorker } from './ownWorker';
import { apiOn, call, sharedStack, TEST_MASTER_KEY, type Stack } from './stack';
import { storePlace, type StoreKind } from './storeKinds';

/**
 * The service for tenant tests on either store: the shared Temporal dev server, with a worker on
 * a task queue of its own and an API, both on the store of `kind` (as src/runtime.ts wires them),
 * with service keys configured. `secondApi` is another API process's view: its own app and its
 * own connection to the same store, to show a change on one holds on the other at once.
 */

export const SERVICE_ADMIN = 'service-admin-key';
export const SERVICE_INGEST = 'service-ingest-key';

export interface TenantStack {
  kind: StoreKind;
  stack: Stack;
  base: string;
  secondApi: string;
  store: Store;
  services: TemporalServices;
  /** The task queue of this stack's worker. */
  taskQueue: string;
  /** JSON over HTTP with a bearer key, and X-Tenant-Id when given. */
  api(key: string, method: string, path: string, body?: unknown, tenant?: string, base?: string): ReturnType<typeof call>;
  /** A tenant made with the service admin key, and a key of each role for it. */
  tenant(prefix: string, settings?: Record<string, unknown>): Promise<{ id: string; admin: string; ingest: string }>;
  close(): Promise<void>;
}

export async function startTenantStack(kind: StoreKind): Promise<TenantStack> {
  const stack = await sharedStack();
  const place = await storePlace(kind);
  const store = await place.open({ masterKeys: [TEST_MASTER_KEY] });
  const otherStore = await place.open({ masterKeys: [TEST_MASTER_KEY] });
  const own = await startOwnWorker(stack, { prefix: 'tenants', store });
  const { services, taskQueue } = own;
  // Counted across tenants (each series labelled with its tenant): served to service keys only.
  const metrics = createMetrics();
  const appFor = (s: Store) =>
    apiOn(
      { store: s, services, transforms: stack.transforms, references: stack.references },
      {
        recoverPerSecond: 5,
        apiKeys: [
          { key: SERVICE_ADMIN, role: 'admin' },
          { key: SERVICE_INGEST, role: 'ingest' },
        ],
        codec: { codec: stack.codec },
        metrics: { metrics },
      },
    );
  const first = await listen(appFor(store));
  const second = await listen(appFor(otherStore));

  const api: TenantStack['api'] = (key, method, path, body, tenant, base = first.base) =>
    call(base, method, path, body, { authorization: `Bearer ${key}`, ...(tenant ? { 'x-tenant-id': tenant } : {}) });

  return {
    kind,
    stack,
    base: first.base,
    secondApi: second.base,
    store,
    services,
    taskQueue,
    api,
    async tenant(prefix, settings = {}) {
      const created = await api(SERVICE_ADMIN, 'POST', '/v1/tenants', { id: unique(prefix), name: prefix, ...settings });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const keys: Record<string, string> = {};
      for (const role of ['admin', 'ingest']) {
        const key = await api(SERVICE_ADMIN, 'POST', `/v1/tenants/${created.body.id}/keys`, { role, label: `${prefix} ${role}` });
        assert.equal(key.status, 201, JSON.stringify(key.body));
        keys[role] = key.body.key;
      }
      return { id: created.body.id, admin: keys.admin, ingest: keys.ingest };
    },
    async close() {
      await first.close();
      await second.close();
      await own.close();
      await store.close();
      await otherStore.close();
      await place.dispose();
    },
  };
}
