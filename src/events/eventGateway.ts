import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { callbackEvent } from '../../workflows';
import { discardSignal, resendSignal, searchAttributes, statusQuery } from '../../workflows/definitions';
import type { CallbackEvent, CallbackEventInput, EventSnapshot } from '../../workflows/types';
import { workflowIdForEvent } from '../ids';

/**
 * The API's one door into Temporal: start an event's workflow, read its state, signal it.
 * Every call has a deadline, so an unreachable server turns into an error, not a hung request.
 */

const CALL_DEADLINE_MS = 10_000;

export class TemporalUnavailableError extends Error {
  readonly code = 'temporal_unavailable';
}

export interface StartResult {
  workflowId: string;
  duplicate: boolean;
}

export interface EventGateway {
  start(input: CallbackEventInput): Promise<StartResult>;
  /** undefined when Temporal knows no such event (never sent, or past retention). */
  snapshot(eventId: string): Promise<EventSnapshot | undefined>;
  /** Waits for the workflow to end: endpoint tests, which make one attempt. */
  result(eventId: string, timeoutMs: number): Promise<EventSnapshot>;
  resend(eventId: string, endpointId: string, url?: string): Promise<void>;
  discard(eventId: string, endpointId: string): Promise<void>;
  ping(): Promise<void>;
}

function summaryOf(event: CallbackEvent): string {
  const callId = typeof event.data.callId === 'string' ? event.data.callId : '?';
  return `${event.type} (call ${callId.slice(0, 12)})`;
}

/** `deadlineMs` bounds each call to Temporal (not `result`, which takes its own timeout). */
export function createEventGateway(client: Client, taskQueue: string, deadlineMs = CALL_DEADLINE_MS): EventGateway {
  const withDeadline = async <T>(fn: () => Promise<T>, ms = deadlineMs): Promise<T> => {
    try {
      return await client.connection.withDeadline(Date.now() + ms, fn);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) throw err;
      throw new TemporalUnavailableError(`Temporal did not answer: ${(err as Error).message}`);
    }
  };
  const handle = (eventId: string) => client.workflow.getHandle(workflowIdForEvent(eventId));

  return {
    async start(input) {
      const { event } = input;
      const workflowId = workflowIdForEvent(event.id);
      try {
        await withDeadline(() =>
          client.workflow.start<typeof callbackEvent>('callbackEvent', {
            taskQueue,
            workflowId,
            args: [input],
            // A closed workflow's id is not reused either, so a replayed event is never delivered twice.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: [
              { key: searchAttributes.eventType, value: event.type },
              { key: searchAttributes.callId, value: String(event.data.callId ?? '') },
              { key: searchAttributes.status, value: 'pending' },
            ],
            staticSummary: summaryOf(event),
          }),
        );
        return { workflowId, duplicate: false };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
        throw err;
      }
    },
    async snapshot(eventId) {
      try {
        return await withDeadline(() => handle(eventId).query(statusQuery));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
    async result(eventId, timeoutMs) {
      return withDeadline(() => handle(eventId).result() as Promise<EventSnapshot>, timeoutMs);
    },
    async resend(eventId, endpointId, url) {
      await withDeadline(() => handle(eventId).signal(resendSignal, { endpointId, url }));
    },
    async discard(eventId, endpointId) {
      await withDeadline(() => handle(eventId).signal(discardSignal, { endpointId }));
    },
    async ping() {
      await withDeadline(() => client.workflowService.getSystemInfo({}), 3_000);
    },
  };
}
