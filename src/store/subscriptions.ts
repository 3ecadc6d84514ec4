import type { Endpoint, EndpointSettings } from '../domain/endpoint';

/**
 * The subscription index both stores keep beside the endpoints: one row per (tenant, event type,
 * endpoint), `*` for an endpoint that names no types (every call event). Matching reads an event's
 * candidates from it by (tenant, type) and never opens a sealed value; delivery opens the secrets of
 * the one endpoint it posts to. The index is written in the same transaction as the endpoint.
 */

/** The index's key for an endpoint that names no event types. */
export const ALL_CALL_EVENTS = '*';

/** The index rows an endpoint with these settings has. */
export function subscriptionKeys(settings: Pick<EndpointSettings, 'eventTypes'>): string[] {
  return settings.eventTypes?.length ? [...new Set(settings.eventTypes)] : [ALL_CALL_EVENTS];
}

/**
 * An endpoint as matching sees it: every setting but the auth credential, which stays sealed in the
 * row. Filters are not secrets (the API shows them to the tenant, like the url): they are kept in
 * clear beside the other settings, so matching reads them without a decryption.
 */
export type MatchCandidate = Omit<Endpoint, 'auth'> & { tenantId: string };

export interface CandidateRow {
  id: string;
  tenant_id: string;
  settings: string;
  created_at: string;
  updated_at: string;
}

/** The row's settings as stored, the sealed auth credential left out (never opened). */
export function toCandidate(row: CandidateRow): MatchCandidate {
  const { auth: _sealed, ...settings } = JSON.parse(row.settings) as EndpointSettings;
  return { id: row.id, tenantId: row.tenant_id, ...settings, createdAt: row.created_at, updatedAt: row.updated_at };
}
