import type { CallContext } from '../domain/capture';
import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../domain/endpoint';
import { tenantEndpointId } from '../domain/ids';
import type { AttemptRecord, AuditInput, AuditRecord, FlowState, Store } from './store';

/**
 * The store as one tenant sees it: the only store the API's routes get. Every read and write is
 * bound to the tenant here, once, so no route can forget the filter; another tenant's endpoint is
 * as absent as one that never existed.
 */
export interface TenantStore {
  readonly tenantId: string;
  /** `id`: the slug the client chose (or one generated); the endpoint's id is in the tenant's namespace (tenantEndpointId). */
  createEndpoint(input: { id: string; secret: string; settings: EndpointSettings }): Promise<EndpointWithSecret>;
  getEndpoint(id: string): Promise<EndpointWithSecret | undefined>;
  listEndpoints(): Promise<Endpoint[]>;
  updateEndpoint(id: string, patch: EndpointPatch): Promise<Endpoint | undefined>;
  deleteEndpoint(id: string): Promise<boolean>;
  rotateSecret(id: string, input: { secret: string; graceMs: number }): Promise<{ secret: string; previousSecretExpiresAt: string } | undefined>;
  /** Of an endpoint of this tenant only (undefined otherwise). */
  flowState(endpointId: string, maxConcurrency: number): Promise<FlowState | undefined>;
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;
  countAttempts(deliveryIds: string[]): Promise<Map<string, number>>;
  recordAudit(entry: AuditInput): Promise<AuditRecord>;
  listAudit(query: { limit: number; before?: number }): Promise<AuditRecord[]>;
  getCallContext(callId: string): Promise<CallContext>;
  /** A link kept for this tenant's references (another tenant's, under the same event id, is not). */
  referencedLink(eventId: string, field: string): Promise<string | undefined>;
}

export function forTenant(store: Store, tenantId: string): TenantStore {
  return {
    tenantId,
    // Ids are namespaced per tenant, so a tenant's create never meets another tenant's id.
    createEndpoint: (input) => store.createEndpoint({ ...input, id: tenantEndpointId(tenantId, input.id), tenantId }),
    getEndpoint: (id) => store.getEndpoint(id, tenantId),
    listEndpoints: () => store.listEndpoints(tenantId),
    updateEndpoint: (id, patch) => store.updateEndpoint(id, patch, tenantId),
    deleteEndpoint: (id) => store.deleteEndpoint(id, tenantId),
    rotateSecret: (id, input) => store.rotateSecret(id, input, tenantId),
    async flowState(endpointId, maxConcurrency) {
      return (await store.tenantOfEndpoint(endpointId)) === tenantId ? store.flowState(endpointId, maxConcurrency) : undefined;
    },
    listAttempts: (deliveryId) => store.listAttempts(deliveryId, tenantId),
    countAttempts: (ids) => store.countAttempts(ids, tenantId),
    recordAudit: (entry) => store.recordAudit(entry, tenantId),
    listAudit: (query) => store.listAudit({ ...query, tenantId }),
    getCallContext: (callId) => store.getCallContext(callId, tenantId),
    referencedLink: (eventId, field) => store.referencedLink(eventId, field, undefined, tenantId),
  };
}
