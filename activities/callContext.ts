import type { CallbackEvent, DeliverBatch, DeliveryTarget } from '../workflows/contract';
import { captureValues } from '../src/domain/capture';
import type { Endpoint } from '../src/domain/endpoint';
import { contextCallOf, withCallContext } from '../src/domain/outgoing';
import type { Store } from '../src/store/store';

/**
 * The deliver activity's part in case ids flowing back (docs/case-ids.md): it adds the call's
 * context to what it sends, read from the store at each attempt (so it never enters Temporal
 * history), and captures from a 2xx answer. Captured values are never logged. Call ids are a
 * tenant's own: every read and write names the tenant of the endpoint delivered to.
 */
export function createCallContextSteps(store: Store) {
  return {
    /** The event with its call's context, as it is now. */
    async withContext(event: CallbackEvent, tenantId: string): Promise<CallbackEvent> {
      const callId = contextCallOf(event);
      return callId === undefined ? event : withCallContext(event, await store.getCallContext(callId, tenantId));
    },

    /** A batch's events, each with its own call's context (one read per call in the batch). */
    async batchWithContext(batch: DeliverBatch, tenantId: string): Promise<DeliverBatch> {
      const calls = [...new Set(batch.events.map(contextCallOf).filter((id): id is string => id !== undefined))];
      const contexts = new Map(await Promise.all(calls.map(async (id) => [id, await store.getCallContext(id, tenantId)] as const)));
      const events = batch.events.map((event) => {
        const context = contexts.get(contextCallOf(event) ?? '');
        return context ? withCallContext(event, context) : event;
      });
      return { ...batch, events };
    },

    /**
     * Whether this attempt's answer is read for capture: the endpoint captures, the event has a
     * call, and the answer comes from the endpoint's url (or a resend's url in its stead), not the
     * fallback url, whose answer may mean something else. A batch's answer speaks for many calls:
     * the API refuses `capture` with `batch`.
     */
    captures(endpoint: Endpoint, event: CallbackEvent, target: DeliveryTarget, batch: DeliverBatch | undefined): boolean {
      return Boolean(endpoint.capture) && !batch && target === 'primary' && contextCallOf(event) !== undefined;
    },

    /** Keeps what the endpoint's rules find in a 2xx body; a body that yields nothing keeps nothing. */
    async capture(endpoint: Endpoint, event: CallbackEvent, body: string | undefined, at: Date, tenantId: string): Promise<void> {
      const callId = contextCallOf(event);
      if (!endpoint.capture || callId === undefined || body === undefined) return;
      const values = captureValues(endpoint.capture, body);
      if (Object.keys(values).length > 0) await store.saveCallContext(callId, values, at, tenantId);
    },
  };
}
