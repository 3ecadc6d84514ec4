import type { Activities } from '../workflows/contract';
import type { ActivityTenants } from './tenants';

/** Deleting a tenant's part of the activities: its open events found, ended, and its endpoints' coordinating workflows ended. */
export function createTenantDeletionActivities({ tenants }: { tenants: ActivityTenants }): Pick<Activities, 'findOpenEvents' | 'discardOpenEvents' | 'endEndpointWorkflows'> {
  return {
    async findOpenEvents({ tenantId, cursor }) {
      return tenants.of(tenantId).deliveries.openEvents({ cursor, limit: 500 });
    },

    async discardOpenEvents({ tenantId, eventIds, reason }) {
      const { events } = tenants.of(tenantId);
      const results = await Promise.allSettled(eventIds.map((id) => events.discardOpen(id, reason)));
      const done = results.filter((r) => r.status === 'fulfilled').length;
      return { done, failed: results.length - done };
    },

    async endEndpointWorkflows({ tenantId, reason }) {
      return tenants.of(tenantId).events.endEndpointWorkflows(reason);
    },
  };
}
