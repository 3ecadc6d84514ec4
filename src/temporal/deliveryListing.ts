import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { DEFAULT_TENANT_ID, deliveryId, searchAttributes, splitTenantWorkflowId, type DeliveryStatus } from '../../workflows/contract';
import { deadlineCaller } from './eventGateway';

/**
 * Deliveries listed from Temporal visibility (search attributes), not from a second copy of
 * state: each event workflow carries `endpointId:status` pairs for its deliveries.
 */

export interface DeliveryFilter {
  status?: DeliveryStatus;
  endpointId?: string;
  eventType?: string;
  callId?: string;
  since?: Date;
  until?: Date;
}

export interface DeliveryListItem {
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: DeliveryStatus;
  createdAt: string;
}

export const EVENT_WORKFLOW_PREFIX = 'event-';

/**
 * Only the tenant's workflows. The default tenant's also include those started before tenants
 * existed, which carry no `CallbackTenant`.
 */
export function tenantClause(tenantId: string): string {
  const name = searchAttributes.tenant.name;
  return tenantId === DEFAULT_TENANT_ID ? `(${name} = '${tenantId}' OR ${name} IS NULL)` : `${name} = '${tenantId}'`;
}

/** Values reach the query already validated (slugs, enums, ISO dates); quotes are refused upstream. */
export function visibilityQuery(f: DeliveryFilter, tenantId = DEFAULT_TENANT_ID): string {
  const parts = [`WorkflowType = 'callbackEvent'`, tenantClause(tenantId)];
  if (f.endpointId && f.status) parts.push(`${searchAttributes.deliveries.name} = '${f.endpointId}:${f.status}'`);
  else if (f.endpointId) parts.push(`${searchAttributes.endpoints.name} = '${f.endpointId}'`);
  else if (f.status) parts.push(`${searchAttributes.deliveryStatuses.name} = '${f.status}'`);
  if (f.eventType) parts.push(`${searchAttributes.eventType.name} = '${f.eventType}'`);
  if (f.callId) parts.push(`${searchAttributes.callId.name} = '${f.callId}'`);
  if (f.since) parts.push(`StartTime >= '${f.since.toISOString()}'`);
  if (f.until) parts.push(`StartTime < '${f.until.toISOString()}'`);
  return parts.join(' AND ');
}

export interface DeliveryPage {
  data: DeliveryListItem[];
  nextCursor?: string;
}

/**
 * A page cursor is Temporal's page token followed by a checksum of it. Temporal answers a token
 * it cannot read with an error its client retries until the call's deadline, so a mistyped or
 * made-up cursor would hold the request for seconds and end as a 503; the checksum refuses it at
 * once. It guards against garbage, not forgery (listing deliveries needs an admin key).
 */
const CURSOR_CHECK_BYTES = 8;
const checksum = (token: Uint8Array) => createHash('sha256').update(token).digest().subarray(0, CURSOR_CHECK_BYTES);

export function cursorOf(token: Uint8Array): string {
  return Buffer.concat([token, checksum(token)]).toString('base64url');
}

/** The page token in a cursor this service made, or undefined for anything else. */
export function tokenOf(cursor: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length <= CURSOR_CHECK_BYTES) return undefined;
  const token = bytes.subarray(0, bytes.length - CURSOR_CHECK_BYTES);
  return checksum(token).equals(bytes.subarray(bytes.length - CURSOR_CHECK_BYTES)) ? token : undefined;
}

/** Deliveries of one tenant's events: every listing query names the tenant. */
export function createDeliveryListing(client: Client, namespace: string, tenantId = DEFAULT_TENANT_ID) {
  const withDeadline = deadlineCaller(client);

  /** Runs a resend replaced keep their old pairs in visibility; only the latest run speaks. */
  async function latestRunIds(workflowIds: string[]): Promise<Map<string, string>> {
    const entries = await Promise.all(
      workflowIds.map(async (id) => {
        const description = await withDeadline(() => client.workflow.getHandle(id).describe());
        return [id, description.runId] as const;
      }),
    );
    return new Map(entries);
  }

  return {
    async list(filter: DeliveryFilter, page: { cursor?: string; limit: number }): Promise<DeliveryPage> {
      const response = await withDeadline(() =>
        client.workflowService.listWorkflowExecutions({
          namespace,
          query: visibilityQuery(filter, tenantId),
          pageSize: page.limit,
          nextPageToken: page.cursor ? tokenOf(page.cursor) : undefined,
        }),
      );
      const rows = (response.executions ?? []).map((e) => ({
        workflowId: e.execution?.workflowId ?? '',
        runId: e.execution?.runId ?? '',
        open: !e.closeTime,
        startedAt: e.startTime?.seconds ? new Date(Number(e.startTime.seconds) * 1000 + Math.floor((e.startTime.nanos ?? 0) / 1e6)) : new Date(0),
        attrs: decodeTypedSearchAttributes(e.searchAttributes?.indexedFields),
      }));
      const closedIds = [...new Set(rows.filter((r) => !r.open).map((r) => r.workflowId))];
      const latest = await latestRunIds(closedIds);
      const data: DeliveryListItem[] = [];
      for (const row of rows.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())) {
        if (!row.open && latest.get(row.workflowId) !== row.runId) continue;
        const eventId = splitTenantWorkflowId(row.workflowId).id.slice(EVENT_WORKFLOW_PREFIX.length);
        const eventType = row.attrs.get(searchAttributes.eventType) ?? '';
        for (const pair of row.attrs.get(searchAttributes.deliveries) ?? []) {
          const at = pair.lastIndexOf(':');
          const endpointId = pair.slice(0, at);
          const status = pair.slice(at + 1) as DeliveryStatus;
          if (filter.endpointId && endpointId !== filter.endpointId) continue;
          if (filter.status && status !== filter.status) continue;
          data.push({ id: deliveryId(eventId, endpointId), eventId, endpointId, eventType, status, createdAt: row.startedAt.toISOString() });
        }
      }
      const token = response.nextPageToken;
      return { data, nextCursor: token && token.length > 0 ? cursorOf(token) : undefined };
    },

    /** One page of the ids of the tenant's events whose workflow is still running: deleting the tenant ends them. */
    async openEvents(page: { cursor?: string; limit: number }): Promise<{ eventIds: string[]; nextCursor?: string }> {
      const response = await withDeadline(() =>
        client.workflowService.listWorkflowExecutions({
          namespace,
          query: `WorkflowType = 'callbackEvent' AND ${tenantClause(tenantId)} AND ExecutionStatus = 'Running'`,
          pageSize: page.limit,
          nextPageToken: page.cursor ? tokenOf(page.cursor) : undefined,
        }),
      );
      const eventIds = (response.executions ?? []).map((e) => splitTenantWorkflowId(e.execution?.workflowId ?? '').id.slice(EVENT_WORKFLOW_PREFIX.length));
      const token = response.nextPageToken;
      return { eventIds, nextCursor: token && token.length > 0 ? cursorOf(token) : undefined };
    },

    /**
     * Running event workflows with a delivery in `status`: a visibility count, no rows read. An
     * event with two deliveries in it counts once; a closed run is in no waiting status.
     */
    async countRunning(status: DeliveryStatus): Promise<number> {
      const query = `${visibilityQuery({ status })} AND ExecutionStatus = 'Running'`;
      const { count } = await withDeadline(() => client.workflow.count(query));
      return count;
    },
  };
}

export type DeliveryListing = ReturnType<typeof createDeliveryListing>;
