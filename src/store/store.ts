import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../endpoint';

/**
 * What the service keeps outside Temporal. Kept small and async so a PostgreSQL
 * implementation can stand beside the SQLite one for multi-node deployments.
 */
export interface Store {
  createEndpoint(input: { id: string; secret: string; settings: EndpointSettings }): Promise<EndpointWithSecret>;
  getEndpoint(id: string): Promise<EndpointWithSecret | undefined>;
  listEndpoints(): Promise<Endpoint[]>;
  updateEndpoint(id: string, patch: EndpointPatch): Promise<Endpoint | undefined>;
  deleteEndpoint(id: string): Promise<boolean>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreConflictError extends Error {
  readonly code = 'conflict';
}
