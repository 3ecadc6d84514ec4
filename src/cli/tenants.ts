import { Command, Option } from 'commander';
import type { z } from 'zod';
import type { tenantKeyCreatedSchema, tenantKeyListSchema, tenantKeySchema, tenantListSchema, tenantSchema } from '../api/tenantSchemas';
import type { jobStartedSchema } from '../api/responseSchemas';
import type { ContextSource } from './context';
import { OutcomeError } from './exit';
import { bodyFrom, pair, type BodySource } from './input';
import { followJob } from './jobProgress';
import { fields, table } from './output';

/** `callbacks tenants …` and `callbacks keys …`: /v1/tenants and a tenant's API keys. */

type Tenant = z.infer<typeof tenantSchema>;
type TenantKey = z.infer<typeof tenantKeySchema>;

const tenantPath = (id: string) => `/v1/tenants/${encodeURIComponent(id)}`;

const describeTenant = (t: Tenant) =>
  fields([['id', t.id], ['name', t.name], ['metadata', t.metadata], ['weight', t.weight], ['limits', t.limits], ['created', t.createdAt], ['updated', t.updatedAt]]);

export function tenantsCommand(context: ContextSource): Command {
  const tenants = new Command('tenants').description('tenants: each has its own endpoints, events and keys');

  tenants
    .command('list')
    .description('every tenant')
    .action(async () => {
      const { api, out, config } = context();
      const answer = await api.request<z.infer<typeof tenantListSchema>>('GET', '/v1/tenants');
      if (config.json) return out.json(answer);
      out.line(table(answer.data, [
        { header: 'ID', value: (t) => t.id },
        { header: 'NAME', value: (t) => t.name },
        { header: 'CREATED', value: (t) => t.createdAt },
      ]));
    });

  tenants
    .command('get')
    .description('one tenant')
    .argument('<id>', 'the tenant id')
    .action(async (id: string) => {
      const { api, out, config } = context();
      const tenant = await api.request<Tenant>('GET', tenantPath(id));
      if (config.json) return out.json(tenant);
      out.line(describeTenant(tenant));
    });

  tenants
    .command('create')
    .description('a new tenant')
    .option('--id <id>', 'an id of your own (default: a generated one)')
    .option('--name <name>', 'its name')
    .option('--metadata <key=value>', 'a metadata entry, repeatable', pair)
    .option('--data <json>', 'the whole body as JSON (flags override its fields)')
    .option('--file <path>', 'the whole body from a JSON file, - for stdin')
    .action(async (o: BodySource & { id?: string; name?: string; metadata?: Record<string, string> }) => {
      const { api, out, config } = context();
      const body = { ...bodyFrom(o), ...(o.id ? { id: o.id } : {}), ...(o.name ? { name: o.name } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) };
      const tenant = await api.request<Tenant>('POST', '/v1/tenants', { body });
      if (config.json) return out.json(tenant);
      out.line(describeTenant(tenant));
    });

  tenants
    .command('update')
    .description('change a tenant\'s name or metadata')
    .argument('<id>', 'the tenant id')
    .option('--name <name>', 'its new name')
    .option('--metadata <key=value>', 'its metadata, replaced by these entries, repeatable', pair)
    .option('--data <json>', 'the whole patch as JSON')
    .option('--file <path>', 'the whole patch from a JSON file, - for stdin')
    .action(async (id: string, o: BodySource & { name?: string; metadata?: Record<string, string> }) => {
      const { api, out, config } = context();
      const body = { ...bodyFrom(o), ...(o.name ? { name: o.name } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) };
      const tenant = await api.request<Tenant>('PATCH', tenantPath(id), { body });
      if (config.json) return out.json(tenant);
      out.line(describeTenant(tenant));
    });

  tenants
    .command('delete')
    .description('delete a tenant and everything it holds, as a job; follows it')
    .argument('<id>', 'the tenant id')
    .option('--no-follow', 'print the job id and return at once')
    .action(async (id: string, o: { follow: boolean }) => {
      const ctx = context();
      const { jobId } = await ctx.api.request<z.infer<typeof jobStartedSchema>>('DELETE', tenantPath(id));
      if (!o.follow) return ctx.config.json ? ctx.out.json({ jobId }) : ctx.out.line(`deleting tenant ${id}: ${jobId}`);
      const job = await followJob(ctx, jobId);
      if (ctx.config.json) ctx.out.json(job);
      else ctx.out.line(`deleted tenant ${id} (${jobId})`);
      if (job.failed > 0) throw new OutcomeError('job_failed', `${job.failed} of ${job.total} items of tenant ${id} could not be deleted (job ${jobId})`);
    });

  return tenants;
}

export function keysCommand(context: ContextSource): Command {
  const keys = new Command('keys').description('a tenant\'s API keys');

  keys
    .command('list')
    .description('a tenant\'s keys (never the keys themselves)')
    .argument('<tenant>', 'the tenant id')
    .action(async (tenant: string) => {
      const { api, out, config } = context();
      const answer = await api.request<z.infer<typeof tenantKeyListSchema>>('GET', `${tenantPath(tenant)}/keys`);
      if (config.json) return out.json(answer);
      out.line(table(answer.data, [
        { header: 'ID', value: (k) => k.id },
        { header: 'ROLE', value: (k) => k.role },
        { header: 'LABEL', value: (k) => k.label },
        { header: 'CREATED', value: (k) => k.createdAt },
      ]));
    });

  keys
    .command('create')
    .description('a new key for a tenant; prints the key, this once')
    .argument('<tenant>', 'the tenant id')
    .addOption(new Option('--role <role>', 'admin: everything; ingest: may only post events').choices(['admin', 'ingest']).makeOptionMandatory())
    .option('--label <text>', 'a note for people: who holds it')
    .action(async (tenant: string, o: { role: TenantKey['role']; label?: string }) => {
      const { api, out, config } = context();
      const created = await api.request<z.infer<typeof tenantKeyCreatedSchema>>('POST', `${tenantPath(tenant)}/keys`, {
        body: { role: o.role, ...(o.label ? { label: o.label } : {}) },
      });
      if (config.json) return out.json(created);
      out.line(fields([['id', created.id], ['tenant', created.tenantId], ['role', created.role], ['label', created.label], ['key', created.key]]));
      out.line('(the key is shown this once; keep it in a secret store)');
    });

  keys
    .command('delete')
    .description('revoke a key')
    .argument('<tenant>', 'the tenant id')
    .argument('<key-id>', 'the key\'s id (keys list shows them)')
    .action(async (tenant: string, keyId: string) => {
      const { api, out, config } = context();
      await api.request('DELETE', `${tenantPath(tenant)}/keys/${encodeURIComponent(keyId)}`);
      if (config.json) return out.json({ id: keyId, deleted: true });
      out.line(`deleted key ${keyId} of tenant ${tenant}`);
    });

  return keys;
}
