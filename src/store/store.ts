import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../endpoint';

/**
 * What the service keeps outside Temporal. Kept small and async so a PostgreSQL
 * implementation can stand beside the SQLite one for multi-node deployments.
 */

export type AttemptTarget = 'primary' | 'fallback';
export type AttemptFailure = 'timeout' | 'dns' | 'connect' | 'tls' | 'http' | 'blocked';

/** One attempt, as the attempt log keeps it. */
export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  target: AttemptTarget;
  url: string;
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  failure?: AttemptFailure;
  /** The first 4 KiB of the response body. */
  responseBody?: string;
}

export interface Store {
  createEndpoint(input: { id: string; secret: string; settings: EndpointSettings }): Promise<EndpointWithSecret>;
  getEndpoint(id: string): Promise<EndpointWithSecret | undefined>;
  listEndpoints(): Promise<Endpoint[]>;
  updateEndpoint(id: string, patch: EndpointPatch): Promise<Endpoint | undefined>;
  /** Disables an enabled endpoint with a reason; false when it was already disabled or is gone. */
  disableEndpoint(id: string, reason: string): Promise<boolean>;
  deleteEndpoint(id: string): Promise<boolean>;

  /**
   * Notes the outcome of an attempt at an endpoint's own url. Answers since when every
   * attempt has failed (undefined after a success), which drives auto-disable.
   */
  noteEndpointOutcome(id: string, ok: boolean, at: Date): Promise<{ failingSince?: Date }>;

  recordAttempt(record: AttemptRecord): Promise<void>;
  /** Oldest first. */
  listAttempts(deliveryId: string): Promise<AttemptRecord[]>;
  /** How many attempts each delivery has in the log. */
  countAttempts(deliveryIds: string[]): Promise<Map<string, number>>;
  /** Deletes attempts that started before `before`; answers how many. */
  purgeAttempts(before: Date): Promise<number>;

  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreConflictError extends Error {
  readonly code = 'conflict';
}
