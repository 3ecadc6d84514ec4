import type { EndpointSettings, EndpointWithSecret } from '../domain/endpoint';
import type { Keyring } from '../crypto/keyring';
import type { Tenant, TenantKey, TenantSettings } from '../domain/tenant';
import { openSealed, openSettings } from './secrets';
import type { AttemptRecord, Store } from './store';

/**
 * The rows both stores keep, as SQL hands them back, and how they become records: one schema, so
 * the SQLite and PostgreSQL stores differ only in their SQL.
 */

export interface EndpointRow {
  id: string;
  secret: string;
  settings: string;
  created_at: string;
  updated_at: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

/** Opens the row's secrets; the previous secret only while its grace period lasts. */
export function toEndpoint(row: EndpointRow, keyring: Keyring): EndpointWithSecret {
  const settings = openSettings(keyring, JSON.parse(row.settings) as EndpointSettings, row.id);
  const endpoint: EndpointWithSecret = {
    id: row.id,
    ...settings,
    secret: openSealed(keyring, row.secret, `the signing secret of endpoint "${row.id}"`),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  const expiresAt = row.previous_secret_expires_at;
  if (row.previous_secret && expiresAt && Date.parse(expiresAt) > Date.now()) {
    endpoint.previousSecret = openSealed(keyring, row.previous_secret, `the previous signing secret of endpoint "${row.id}"`);
    endpoint.previousSecretExpiresAt = expiresAt;
  }
  return endpoint;
}

export type EndpointMethods = Pick<
  Store,
  | 'createEndpoint'
  | 'getEndpoint'
  | 'listEndpoints'
  | 'updateEndpoint'
  | 'disableEndpoint'
  | 'deleteEndpoint'
  | 'rotateSecret'
  | 'noteEndpointOutcome'
  | 'tenantOfEndpoint'
  | 'matchCandidates'
  | 'matchCandidate'
>;

export type TenantMethods = Pick<
  Store,
  | 'createTenant'
  | 'getTenant'
  | 'listTenants'
  | 'updateTenant'
  | 'beginTenantDeletion'
  | 'purgeTenant'
  | 'createTenantKey'
  | 'listTenantKeys'
  | 'deleteTenantKey'
  | 'findTenantKey'
>;

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  target: AttemptRecord['target'];
  url: string;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  failure: AttemptRecord['failure'] | null;
  response_body: string | null;
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    target: row.target,
    url: row.url,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code ?? undefined,
    failure: row.failure ?? undefined,
    responseBody: row.response_body ?? undefined,
  };
}

export interface TenantRow {
  id: string;
  settings: string;
  created_at: string;
  updated_at: string;
}

export function toTenant(row: TenantRow): Tenant {
  return { id: row.id, ...(JSON.parse(row.settings) as TenantSettings), createdAt: row.created_at, updatedAt: row.updated_at };
}

export interface TenantKeyRow {
  id: string;
  tenant_id: string;
  role: TenantKey['role'];
  label: string | null;
  created_at: string;
}

export function toTenantKey(row: TenantKeyRow): TenantKey {
  return { id: row.id, tenantId: row.tenant_id, role: row.role, ...(row.label === null ? {} : { label: row.label }), createdAt: row.created_at };
}

/** The endpoint a delivery id (`<event or batch id>~<endpoint id>`) names, whose tenant its attempts belong to. */
export const endpointOfDelivery = (deliveryId: string) => deliveryId.slice(deliveryId.lastIndexOf('~') + 1);
