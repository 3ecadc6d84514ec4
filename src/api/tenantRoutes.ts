import { Router } from 'express';
import { z } from 'zod';
import { newId } from '../domain/ids';
import { isDefaultTenant, tenantCreateSchema, tenantIdSchema, tenantKeyCreateSchema, tenantPatchSchema } from '../domain/tenant';
import { CallbackEventsError } from '../errors';
import type { Store } from '../store/store';
import { audit } from './audit';
import { notFound, parseOr400 } from './errors';
import { newTenantKey } from './tenantKeys';
import { scopeOf } from './tenantScope';

/**
 * `/v1/tenants`: the platform's customers and their keys. Only the service's admin keys reach
 * these routes (app.ts); they act across tenants, so they hold the whole store. Actions are
 * audited in the acting tenant's log (the service's `default`, unless X-Tenant-Id names another).
 */

export const keyIdSchema = z.string().regex(/^key_[0-9a-f]{16}$/, 'must be a key id (key_…)');

export function tenantRoutes({ store, recoverPerSecond }: { store: Store; recoverPerSecond: number }): Router {
  const router = Router();

  const load = async (id: string) => {
    const tenant = await store.getTenant(id);
    if (!tenant) throw notFound('Tenant', id);
    return tenant;
  };

  router.post('/', async (req, res) => {
    const { id, ...settings } = parseOr400(tenantCreateSchema, req.body);
    const created = await store.createTenant({ id: id ?? newId('tn-'), settings });
    await audit(res, 'tenant.create', created.id);
    res.status(201).json(created);
  });

  router.get('/', async (_req, res) => {
    res.json({ data: await store.listTenants() });
  });

  router.get('/:id', async (req, res) => {
    res.json(await load(req.params.id));
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseOr400(tenantPatchSchema, req.body ?? {});
    const updated = await store.updateTenant(req.params.id, patch);
    if (!updated) throw notFound('Tenant', req.params.id);
    await audit(res, 'tenant.update', updated.id, { fields: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
    res.json(updated);
  });

  /** Hidden and its keys revoked at once; the rest (open deliveries, rows) as a job. */
  router.delete('/:id', async (req, res) => {
    const id = req.params.id;
    if (isDefaultTenant(id)) throw new CallbackEventsError('conflict', 'The default tenant always exists; it cannot be deleted.');
    if (!tenantIdSchema.safeParse(id).success || !(await store.beginTenantDeletion(id))) throw notFound('Tenant', id);
    const jobId = await scopeOf(res).jobs.deleteTenant({ tenantId: id, perSecond: recoverPerSecond });
    await audit(res, 'tenant.delete', id, { jobId });
    res.status(202).json({ jobId });
  });

  router.post('/:id/keys', async (req, res) => {
    const { role, label } = parseOr400(tenantKeyCreateSchema, req.body);
    const tenant = await load(req.params.id);
    const { id, key, hash } = newTenantKey();
    const created = await store.createTenantKey({ id, tenantId: tenant.id, role, label, hash });
    await audit(res, 'tenant.key.create', tenant.id, { keyId: id, role });
    // The key is shown here once; only its hash is kept.
    res.status(201).json({ ...created, key });
  });

  router.get('/:id/keys', async (req, res) => {
    const tenant = await load(req.params.id);
    res.json({ data: await store.listTenantKeys(tenant.id) });
  });

  router.delete('/:id/keys/:keyId', async (req, res) => {
    const tenant = await load(req.params.id);
    if (!(await store.deleteTenantKey(tenant.id, req.params.keyId))) throw notFound('Key', req.params.keyId);
    await audit(res, 'tenant.key.delete', tenant.id, { keyId: req.params.keyId });
    res.status(204).end();
  });

  return router;
}
