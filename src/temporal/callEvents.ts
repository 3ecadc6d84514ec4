import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { DEFAULT_TENANT_ID, EVENT_STATUSES, searchAttributes, splitTenantWorkflowId, type EventStatus } from '../../workflows/contract';
import { deadlineCaller } from './eventGateway';
import { EVENT_WORKFLOW_PREFIX, tenantClause } from './deliveryListing';

/**
 * The events of one call, from Temporal visibility (the `CallId` search attribute every event's
 * workflow carries from its start), with each event's status: no second copy of state.
 */

export interface CallEvent {
  id: string;
  type: string;
  status: EventStatus;
}

/** A call has a handful of events; past this many the list stops (the oldest are kept). */
export const MAX_CALL_EVENTS = 1_000;
const PAGE_SIZE = 200;

const isEventStatus = (value: string | undefined): value is EventStatus => EVENT_STATUSES.includes(value as EventStatus);

/** One tenant's calls: the query names the tenant (tenantClause), so another tenant's events of the same call id stay out. */
export function createCallEvents(client: Client, namespace: string, tenantId = DEFAULT_TENANT_ID) {
  const withDeadline = deadlineCaller(client);
  return {
    /**
     * Oldest first, by when the event reached the service. The call id reaches the query already
     * validated (callIdSchema refuses quotes and backslashes).
     */
    async eventsOf(callId: string): Promise<CallEvent[]> {
      const query = `WorkflowType = 'callbackEvent' AND ${tenantClause(tenantId)} AND ${searchAttributes.callId.name} = '${callId}'`;
      // Per workflow id, its latest run: a resend of a closed event starts a new run of the same id.
      const latest = new Map<string, { startedAt: number; event: CallEvent }>();
      let token: Uint8Array | undefined;
      let seen = 0;
      do {
        const response = await withDeadline(() =>
          client.workflowService.listWorkflowExecutions({ namespace, query, pageSize: PAGE_SIZE, nextPageToken: token }),
        );
        for (const e of response.executions ?? []) {
          const workflowId = e.execution?.workflowId ?? '';
          const startedAt = Number(e.startTime?.seconds ?? 0) * 1000 + Math.floor((e.startTime?.nanos ?? 0) / 1e6);
          if ((latest.get(workflowId)?.startedAt ?? -1) >= startedAt) continue;
          const attrs = decodeTypedSearchAttributes(e.searchAttributes?.indexedFields);
          const status = attrs.get(searchAttributes.status);
          latest.set(workflowId, {
            startedAt,
            event: {
              id: splitTenantWorkflowId(workflowId).id.slice(EVENT_WORKFLOW_PREFIX.length),
              type: attrs.get(searchAttributes.eventType) ?? '',
              status: isEventStatus(status) ? status : 'pending',
            },
          });
        }
        seen += response.executions?.length ?? 0;
        token = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
      } while (token && seen < MAX_CALL_EVENTS);
      return [...latest.values()].sort((a, b) => a.startedAt - b.startedAt).map((entry) => entry.event);
    },
  };
}

export type CallEvents = ReturnType<typeof createCallEvents>;
