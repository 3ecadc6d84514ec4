import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { callbackEvent } from '../../workflows';
import {
  discardOpenSignal,
  discardSignal,
  eventQuery,
  RESENDABLE_STATUSES,
  isUrgent,
  LOCAL_FIRST_TASK_TIMEOUT_MS,
  releaseSignal,
  resendSignal,
  searchAttributes,
  statusQuery,
  URGENT_PRIORITY_KEY,
  type BatchItem,
  type CallbackEvent,
  type CallbackEventInput,
  type DeliverySnapshot,
  type EventSnapshot,
  type JoinCoalescerInput,
  type JoinSequenceInput,
  DEFAULT_TENANT_ID,
} from '../../workflows/contract';
import { workflowIdForEvent } from '../domain/ids';
import { signalBatcher } from './batchGateway';
import { joinCoalescer } from './coalescing';
import { hasCode } from '../errors';
import { deliveryNotFound, deliveryStateConflict, temporalUnavailable } from './errors';
import { tenantClause } from './deliveryListing';
import { Reachability } from './reachability';
import { joinSequence } from './sequences';

/**
 * The one door into Temporal for events: start an event's workflow, read its state, and act on
 * its deliveries. Used by the API and by activities alike. Every call has a deadline, so an
 * unreachable server turns into an error, not a hung request.
 */

const CALL_DEADLINE_MS = 10_000;

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
  /**
   * Delivers again. A delivery awaiting review continues in its workflow; a finished one
   * (delivered, discarded, expired) gets a fresh attempt series, in a new run when the event's
   * workflow has closed. The same `webhook-id` either way.
   */
  resend(eventId: string, endpointId: string, url?: string): Promise<'continued' | 'restarted'>;
  /** Gives up a delivery awaiting review or held. */
  discard(eventId: string, endpointId: string, reason?: string): Promise<void>;
  /** Lets a held delivery go on, once its endpoint is enabled. */
  release(eventId: string, endpointId: string): Promise<void>;
  /** Hands an event to its endpoint's batcher (signal-with-start): endpoints with `batch`. */
  enqueueInBatch(endpointId: string, item: BatchItem): Promise<void>;
  /** Ordering per call: joins (signal-with-start) the sequencer of the delivery's call; answers its workflow id. */
  joinSequence(input: JoinSequenceInput): Promise<{ sequencerId: string }>;
  /** Coalescing: joins (signal-with-start) the coalescer of the delivery's (endpoint, call, type); answers its workflow id. */
  joinCoalescer(input: JoinCoalescerInput): Promise<{ coalescerId: string }>;
  ping(): Promise<void>;
  /**
   * Deleting the tenant: every delivery of the event not yet final is discarded with `reason`, at
   * once, and its workflow ends. `closed`: the workflow had already ended.
   */
  discardOpen(eventId: string, reason: string): Promise<'discarded' | 'closed'>;
  /** Deleting the tenant: ends its endpoints' batchers, call sequencers and coalescers. Answers how many. */
  endEndpointWorkflows(reason: string): Promise<number>;
}

/** The workflows a gateway signal-with-starts for an endpoint, which carry its tenant. */
const ENDPOINT_WORKFLOW_TYPES = ['batcher', 'callSequencer', 'coalescer'];

/**
 * Task-queue fairness: a tenant's tasks are one fairness key, dispatched in turn with the other
 * tenants' in proportion to their weights, so one tenant's backlog does not delay the others.
 * Activities and child workflows inherit it.
 */
export function fairnessOf(tenantId: string, weight?: number): { fairnessKey: string; fairnessWeight?: number } {
  return { fairnessKey: tenantId, ...(weight === undefined ? {} : { fairnessWeight: weight }) };
}

function summaryOf(event: CallbackEvent): string {
  const callId = typeof event.data.callId === 'string' ? event.data.callId : '?';
  return `${event.type} (call ${callId.slice(0, 12)})`;
}

/** One view of Temporal's reachability per client, shared by every caller in the process. */
const reachabilityByClient = new WeakMap<Client, Reachability>();
export function reachabilityOf(client: Client): Reachability {
  let r = reachabilityByClient.get(client);
  if (!r) reachabilityByClient.set(client, (r = new Reachability()));
  return r;
}

/**
 * Wraps calls to Temporal in a deadline; what is not a known answer becomes "unavailable". While
 * Temporal is known to be unreachable, calls fail at once (see reachability.ts).
 */
export function deadlineCaller(client: Client, deadlineMs = CALL_DEADLINE_MS) {
  const reachability = reachabilityOf(client);
  /**
   * `workerAnswers`: a query or a result, which a worker must answer; its failing says nothing
   * about Temporal's reachability (the workers may be down while Temporal is up).
   */
  return async <T>(fn: () => Promise<T>, ms = deadlineMs, { workerAnswers = false }: { workerAnswers?: boolean } = {}): Promise<T> => {
    if (!reachability.admit()) throw temporalUnavailable();
    const broken = reachability.signal;
    try {
      // The signal cancels the underlying call; the race answers even if the cancel is slow to land.
      const call = client.connection.withAbortSignal(broken, () => client.connection.withDeadline(Date.now() + ms, fn));
      const answer = await raceAbort(call, broken);
      reachability.answered();
      return answer;
    } catch (err) {
      if (
        err instanceof WorkflowExecutionAlreadyStartedError ||
        err instanceof WorkflowNotFoundError ||
        hasCode(err, 'delivery_state_conflict', 'not_found')
      ) {
        reachability.answered();
        throw err;
      }
      if (!workerAnswers) reachability.failed();
      throw temporalUnavailable(err);
    }
  };
}

/** `call`, or a rejection as soon as `signal` aborts (the connection broke). */
function raceAbort<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * `deadlineMs` bounds each call to Temporal (not `result`, which takes its own timeout). The
 * gateway acts for one tenant: its events' workflow ids carry the tenant (tenantWorkflowId), so
 * another tenant's event is, to it, an event that does not exist.
 */
export function createEventGateway(
  client: Client,
  taskQueue: string,
  deadlineMs = CALL_DEADLINE_MS,
  {
    eagerStart = false,
    tenantId = DEFAULT_TENANT_ID,
    weight,
    localFirstAttempt = true,
  }: { eagerStart?: boolean; tenantId?: string; weight?: number; localFirstAttempt?: boolean } = {},
): EventGateway {
  const withDeadline = deadlineCaller(client, deadlineMs);
  const handle = (eventId: string) => client.workflow.getHandle(workflowIdForEvent(eventId, tenantId));
  /** What the workflows this gateway signal-with-starts for an endpoint (batcher, sequencer, coalescer) carry. */
  const tenant = { tenantId, fairness: fairnessOf(tenantId, weight) };

  const startRun = (given: CallbackEventInput, reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE') => {
    // The default tenant's input stays as it was, so its histories read as before.
    const owned: CallbackEventInput = tenantId === DEFAULT_TENANT_ID ? given : { ...given, tenantId };
    // A new event's run takes the fast path (workflows/firstAttempt.ts), with a first task long enough for it.
    const local = localFirstAttempt && !owned.redeliver;
    const input: CallbackEventInput = local ? { ...owned, firstAttempt: 'local' } : owned;
    return withDeadline(() =>
      client.workflow.start<typeof callbackEvent>('callbackEvent', {
        taskQueue,
        workflowId: workflowIdForEvent(input.event.id, tenantId),
        args: [input],
        workflowIdReusePolicy: reuse,
        ...(local ? { workflowTaskTimeout: LOCAL_FIRST_TASK_TIMEOUT_MS } : {}),
        typedSearchAttributes: [
          { key: searchAttributes.tenant, value: tenantId },
          { key: searchAttributes.eventType, value: input.event.type },
          { key: searchAttributes.callId, value: String(input.event.data.callId ?? '') },
          { key: searchAttributes.status, value: 'pending' },
        ],
        staticSummary: summaryOf(input.event),
        // Eager start: Temporal hands the first workflow task straight back to this process's
        // worker in the start's answer, saving a trip through the task queue.
        ...(eagerStart ? { requestEagerStart: true } : {}),
        // The priority lane: its tasks (and its activities', which inherit it) go first under a
        // backlog. Within a lane, tasks are shared out fairly between tenants by their weights.
        priority: {
          ...(isUrgent(input.event) ? { priorityKey: URGENT_PRIORITY_KEY } : {}),
          ...fairnessOf(tenantId, weight),
        },
      }),
    );
  };

  /**
   * The event's state, and whether its run is open. A run still in its first workflow task (the
   * matching and the local first attempts, workflows/firstAttempt.ts) could answer the query only
   * once the receivers did: it reads as `pending` with no delivery yet, from its start, instead.
   */
  async function stateOf(eventId: string): Promise<{ snapshot: EventSnapshot; open: boolean; firstTask: boolean }> {
    const h = handle(eventId);
    // Asked in turn: a query asked at once would be left waiting on the receivers (and the connection).
    const description = await withDeadline(() => h.describe());
    const open = description.status.name === 'RUNNING';
    // Event 4 would be the first WorkflowTaskCompleted: with 3 or fewer, no task has finished.
    if (open && (description.historyLength ?? 0) <= 3) {
      const type = description.typedSearchAttributes.get(searchAttributes.eventType) ?? '';
      return { snapshot: { id: eventId, type, status: 'pending', deliveries: [] }, open, firstTask: true };
    }
    const snapshot = await withDeadline(() => h.query(statusQuery), undefined, { workerAnswers: true });
    return { snapshot, open, firstTask: false };
  }

  /** The delivery as the latest run knows it, and whether that run is still open. */
  async function current(eventId: string, endpointId: string): Promise<{ delivery: DeliverySnapshot; snapshot: EventSnapshot; open: boolean }> {
    try {
      const { snapshot, open, firstTask } = await stateOf(eventId);
      if (firstTask) {
        throw deliveryStateConflict('pending', `Event "${eventId}" is being matched and its first attempts are out; act on its deliveries once they are answered.`);
      }
      const delivery = snapshot.deliveries.find((d) => d.endpointId === endpointId);
      if (!delivery) throw deliveryNotFound(`Delivery "${eventId}~${endpointId}" does not exist: the event did not go to that endpoint.`);
      return { delivery, snapshot, open };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw deliveryNotFound(`Delivery "${eventId}~${endpointId}" does not exist: event "${eventId}" is not known (never sent, or past retention).`);
      }
      throw err;
    }
  }

  /** A signal can race the workflow closing; a restart can race another restart. Try again then. */
  async function retryingRaces<T>(fn: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await fn();
      } catch (err) {
        const raced = err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError;
        if (!raced || tries >= 3) throw err;
      }
    }
  }

  return {
    async start(input) {
      const workflowId = workflowIdForEvent(input.event.id, tenantId);
      try {
        // A closed workflow's id is not reused either, so a replayed event is never delivered twice.
        await startRun(input, 'REJECT_DUPLICATE');
        return { workflowId, duplicate: false };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
        throw err;
      }
    },

    async snapshot(eventId) {
      try {
        return (await stateOf(eventId)).snapshot;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },

    async result(eventId, timeoutMs) {
      return withDeadline(() => handle(eventId).result() as Promise<EventSnapshot>, timeoutMs, { workerAnswers: true });
    },

    async resend(eventId, endpointId, url) {
      return retryingRaces(async () => {
        const { delivery, snapshot, open } = await current(eventId, endpointId);
        const resendable = RESENDABLE_STATUSES.includes(delivery.status);
        if (!resendable) {
          throw deliveryStateConflict(
            delivery.status,
            delivery.status === 'held'
              ? `Delivery is held because endpoint "${endpointId}" is disabled; enable the endpoint to release it.`
              : `Delivery is ${delivery.status}; it can be resent once it is delivered, discarded, expired, coalesced or awaiting review.`,
          );
        }
        if (open) {
          await withDeadline(() => handle(eventId).signal(resendSignal, { endpointId, url }));
          return 'continued';
        }
        const event = await withDeadline(() => handle(eventId).query(eventQuery), undefined, { workerAnswers: true });
        await startRun({ event, redeliver: { endpointId, url, carried: snapshot.deliveries } }, 'ALLOW_DUPLICATE');
        return 'restarted';
      });
    },

    async discard(eventId, endpointId, reason) {
      const { delivery } = await current(eventId, endpointId);
      if (delivery.status !== 'awaiting_review' && delivery.status !== 'held') {
        throw deliveryStateConflict(delivery.status, `Delivery is ${delivery.status}; only a delivery awaiting review or held can be discarded.`);
      }
      await withDeadline(() => handle(eventId).signal(discardSignal, { endpointId, reason }));
    },

    async release(eventId, endpointId) {
      await withDeadline(() => handle(eventId).signal(releaseSignal, { endpointId }));
    },

    async enqueueInBatch(endpointId, item) {
      await signalBatcher(client, taskQueue, withDeadline, endpointId, item, tenant);
    },

    async joinSequence(input) {
      return withDeadline(() => joinSequence(client, taskQueue, input, {}, tenant));
    },

    async joinCoalescer(input) {
      return withDeadline(() => joinCoalescer(client, taskQueue, input, tenant));
    },

    async discardOpen(eventId, reason) {
      try {
        await withDeadline(() => handle(eventId).signal(discardOpenSignal, { reason }));
        return 'discarded';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'closed';
        throw err;
      }
    },

    async endEndpointWorkflows(reason) {
      const types = ENDPOINT_WORKFLOW_TYPES.map((t) => `'${t}'`).join(', ');
      const query = `WorkflowType IN (${types}) AND ${tenantClause(tenantId)} AND ExecutionStatus = 'Running'`;
      let ended = 0;
      for await (const w of client.workflow.list({ query })) {
        try {
          await withDeadline(() => client.workflow.getHandle(w.workflowId, w.runId).terminate(reason));
          ended++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return ended;
    },

    async ping() {
      await withDeadline(() => client.workflowService.getSystemInfo({}), 3_000);
    },
  };
}
