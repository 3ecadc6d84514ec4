import { z } from 'zod';
import { DEFAULT_TENANT_ID } from '../../workflows/contract';

export { DEFAULT_TENANT_ID } from '../../workflows/contract';

/**
 * Tenants: the business customers one service runs for. Every endpoint, event, delivery, job and
 * audit record belongs to exactly one; `default` holds what names none. One source of truth for
 * the API and the stores.
 */

/** A slug, like an endpoint id: no `~`, so tenant-prefixed workflow ids split back unambiguously. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lowercase letters, digits and dashes, at most 63 characters');

/** Per-tenant limits; each absent one is unlimited. */
export const tenantLimitsSchema = z.strictObject({
  /** Events a second the tenant's keys may post together (per API process); over it, 429. */
  ingestPerSecond: z.number().min(0.001).max(1_000_000).optional(),
});

const metadataSchema = z
  .record(z.string().max(100), z.string().max(1000))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 entries')
  .meta({ description: 'Free key/value strings for the platform (a CRM account id, a plan); never interpreted.' });

const tenantFields = {
  name: z.string().min(1).max(200),
  metadata: metadataSchema.optional(),
  /** The tenant's share of the workers under load (Temporal task-queue fairness), against 1 for others. */
  weight: z.number().min(0.001).max(1000).optional(),
  limits: tenantLimitsSchema.optional(),
};

export const tenantCreateSchema = z.strictObject({ id: tenantIdSchema.optional(), ...tenantFields });

/** `null` clears an optional field. */
export const tenantPatchSchema = z.strictObject({
  name: tenantFields.name.optional(),
  metadata: metadataSchema.nullable().optional(),
  weight: tenantFields.weight.unwrap().nullable().optional(),
  limits: tenantLimitsSchema.nullable().optional(),
});

export type TenantSettings = Omit<z.infer<typeof tenantCreateSchema>, 'id'>;
export type TenantPatch = z.infer<typeof tenantPatchSchema>;

export interface Tenant extends TenantSettings {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** What a tenant key may do: `admin` everything within its tenant, `ingest` only post events. */
export const TENANT_KEY_ROLES = ['admin', 'ingest'] as const;
export type TenantKeyRole = (typeof TENANT_KEY_ROLES)[number];

export const tenantKeyCreateSchema = z.strictObject({
  role: z.enum(TENANT_KEY_ROLES),
  label: z.string().min(1).max(200).optional(),
});

/** A tenant key as listed: never its material, which is shown once and kept only as a hash. */
export interface TenantKey {
  id: string;
  tenantId: string;
  role: TenantKeyRole;
  label?: string;
  createdAt: string;
}

/** Applies a patch: undefined keeps a field, `null` clears it. */
export function patchTenant(settings: TenantSettings, patch: TenantPatch): TenantSettings {
  const next: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as TenantSettings;
}

export const isDefaultTenant = (id: string) => id === DEFAULT_TENANT_ID;
