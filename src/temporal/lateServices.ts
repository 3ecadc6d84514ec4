import type { TemporalServices, TenantServices } from './services';
import { temporalUnavailable } from './errors';

/**
 * The API listens before Temporal answers (so /healthz can say "not ready" while the process waits
 * for it, connect.ts); until then every call to Temporal fails at once as `temporal_unavailable`
 * (503 with Retry-After), exactly as during an outage. `ready` hands over the real services.
 */
export function lateServices(): { services: TemporalServices; ready(services: TemporalServices): void } {
  let current: TemporalServices | undefined;
  const part = <K extends keyof TenantServices>(key: K, tenantId?: string, weight?: number): TenantServices[K] =>
    new Proxy({} as TenantServices[K], {
      get(_target, method) {
        // Not a thenable: awaiting a part must not look like a call.
        if (method === 'then') return undefined;
        return (...args: unknown[]) => {
          if (!current) return Promise.reject(temporalUnavailable());
          const services = tenantId === undefined ? current : current.forTenant(tenantId, { weight });
          const target = services[key] as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
          return target[method](...args);
        };
      },
    });
  const forTenant = (tenantId: string, { weight }: { weight?: number } = {}): TenantServices => ({
    events: part('events', tenantId, weight),
    deliveries: part('deliveries', tenantId, weight),
    calls: part('calls', tenantId, weight),
    jobs: part('jobs', tenantId, weight),
  });
  return {
    services: { events: part('events'), deliveries: part('deliveries'), calls: part('calls'), jobs: part('jobs'), forTenant },
    ready(services) {
      current = services;
    },
  };
}
