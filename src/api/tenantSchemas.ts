import { z } from 'zod';
import { tenantCreateSchema, tenantIdSchema, TENANT_KEY_ROLES, type Tenant, type TenantKey } from '../domain/tenant';

/** What the tenant routes answer, as zod schemas: the OpenAPI document's response bodies for `/v1/tenants`. */

const timestamp = z.iso.datetime({ offset: true });

export const tenantSchema = tenantCreateSchema.extend({ id: tenantIdSchema, createdAt: timestamp, updatedAt: timestamp });

export const tenantListSchema = z.strictObject({ data: z.array(tenantSchema) });

export const tenantKeySchema = z.strictObject({
  id: z.string(),
  tenantId: tenantIdSchema,
  role: z.enum(TENANT_KEY_ROLES),
  label: z.string().optional(),
  createdAt: timestamp,
});

export const tenantKeyCreatedSchema = tenantKeySchema.extend({
  key: z.string().meta({ description: 'The key, `cbk_…`: shown here once; only its hash is kept.' }),
});

export const tenantKeyListSchema = z.strictObject({ data: z.array(tenantKeySchema) });

type Fits<Actual, Documented> = Actual extends Documented ? true : never;
const typesFit: [Fits<Tenant, z.input<typeof tenantSchema>>, Fits<TenantKey, z.input<typeof tenantKeySchema>>] = [true, true];
void typesFit;
