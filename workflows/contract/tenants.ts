/**
 * Tenants, as the workflows and the gateways both need them: the tenant every row and event
 * belongs to when none is named, and the workflow ids that keep tenants apart in one namespace.
 */

/** Existing data, and requests that name no tenant, belong to this tenant; it always exists. */
export const DEFAULT_TENANT_ID = 'default';

/**
 * `<tenantId>~<workflow id>` for tenants other than `default`, which keeps the ids it always had.
 * Neither tenant ids nor event ids admit `~`, so two tenants' ids never collide.
 */
export function tenantWorkflowId(tenantId: string | undefined, workflowId: string): string {
  return tenantId === undefined || tenantId === DEFAULT_TENANT_ID ? workflowId : `${tenantId}~${workflowId}`;
}

/** The tenant and the unprefixed id of a workflow id built by tenantWorkflowId. */
export function splitTenantWorkflowId(workflowId: string): { tenantId: string; id: string } {
  const at = workflowId.indexOf('~');
  return at <= 0 ? { tenantId: DEFAULT_TENANT_ID, id: workflowId } : { tenantId: workflowId.slice(0, at), id: workflowId.slice(at + 1) };
}
