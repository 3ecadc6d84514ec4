import { DEFAULT_TENANT_ID } from '../workflows/contract';
import { CallbackEventsError } from '../src/errors';
import type { DeliveryListing } from '../src/temporal/deliveryListing';
import type { EventGateway } from '../src/temporal/eventGateway';
import type { Store } from '../src/store/store';

/**
 * The Temporal services an activity acts through: those of the tenant its workflow runs for, or of
 * the tenant an endpoint belongs to (with the tenant's weight as it is now, for fairness), so what
 * an activity starts or signals (an operational event, a batcher, a sequencer) is that tenant's.
 */

export type TenantServicesFactory = (tenantId: string, options?: { weight?: number }) => { events: EventGateway; deliveries: DeliveryListing };

export function activityTenants(
  store: Store,
  { events, deliveries, forTenant }: { events: EventGateway; deliveries: DeliveryListing; forTenant?: TenantServicesFactory },
) {
  const of = (tenantId = DEFAULT_TENANT_ID, weight?: number) => {
    if (!forTenant) {
      if (tenantId === DEFAULT_TENANT_ID) return { events, deliveries };
      throw new CallbackEventsError('invalid_config', `no Temporal services for tenant "${tenantId}" were wired into the activities`);
    }
    return forTenant(tenantId, { weight });
  };
  return {
    of,
    /** The endpoint's tenant's services; an endpoint that is gone: `orTenant`'s, or undefined without one. */
    async ofEndpoint(endpointId: string, orTenant?: string) {
      const tenantId = (await store.tenantOfEndpoint(endpointId)) ?? orTenant;
      if (tenantId === undefined) return undefined;
      return of(tenantId, (await store.getTenant(tenantId))?.weight);
    },
  };
}

export type ActivityTenants = ReturnType<typeof activityTenants>;
