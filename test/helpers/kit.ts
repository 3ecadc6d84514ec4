import assert from 'node:assert/strict';
import { startReceiver, type Receiver, type Script } from './receiver';
import { call, eventually, sharedStack, type Stack } from './stack';

/**
 * What integration tests share: the stack, receivers that close themselves, and a tag per test.
 * Every event a test sends carries its tag in `data.metadata.test`, and every endpoint it creates
 * filters on that tag, so tests running against one stack never see each other's events.
 * Call inside a `describe`: the hooks it registers are scoped to it.
 */

let seq = 0;
export const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

/** Retries in tens of milliseconds, so failure paths run in a test's time. */
export const fastRetry = (maxAttempts: number, extra: Record<string, unknown> = {}) => ({
  maxAttempts,
  initialIntervalMs: 50,
  backoffCoefficient: 1,
  maxIntervalMs: 100,
  attemptTimeoutMs: 2000,
  ...extra,
});

/** A call_completed event with no sensitive call data, tagged for the test that sends it. */
export const plainCompletedCall = (callId: string, tag: string) => ({
  type: 'call_completed',
  occurredAt: '2026-11-29T10:00:05Z',
  data: {
    callId,
    startedAt: '2026-11-29T09:58:00Z',
    endedAt: '2026-11-29T10:00:00Z',
    durationMs: 120000,
    endedReason: 'caller_hangup',
    disposition: 'qualified',
    metadata: { test: tag },
  },
});

export interface Kit {
  readonly stack: Stack;
  readonly tag: string;
  receiver(script?: Script): Promise<Receiver>;
  createEndpoint(body: Record<string, unknown>): Promise<{ id: string; secret: string }>;
  completedCall(callId: string, extra?: Record<string, unknown>): { type: string; occurredAt: string; data: Record<string, unknown> };
  send(body: unknown): Promise<{ id: string; workflowId: string }>;
  eventStatus(id: string): Promise<any>;
  waitForStatus(id: string, status: string, timeoutMs?: number): Promise<any>;
  delivery(id: string): Promise<any>;
  waitForDelivery(id: string, status: string, timeoutMs?: number): Promise<any>;
}

export function useKit(): Kit {
  let stack: Stack | undefined;
  let tag = '';
  const receivers: Receiver[] = [];

  before(async function () {
    this.timeout(120_000);
    stack = await sharedStack();
  });
  beforeEach(() => {
    tag = unique('t');
  });
  after(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const kit: Kit = {
    get stack() {
      assert.ok(stack, 'the stack is not up yet');
      return stack;
    },
    get tag() {
      return tag;
    },
    async receiver(script) {
      const r = await startReceiver(script);
      receivers.push(r);
      return r;
    },
    async createEndpoint(body) {
      const own = { 'data.metadata.test': tag };
      const filter = body.filter ? { $and: [own, body.filter] } : own;
      const res = await call(kit.stack.api, 'POST', '/v1/endpoints', { id: unique('ep'), ...body, filter });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; secret: string };
    },
    completedCall(callId, extra = {}) {
      return {
        type: 'call_completed',
        occurredAt: '2026-11-29T10:00:05Z',
        data: {
          callId,
          agentId: 'agent-7',
          startedAt: '2026-11-29T09:58:00Z',
          endedAt: '2026-11-29T10:00:00Z',
          durationMs: 120000,
          endedReason: 'caller_hangup',
          disposition: 'qualified',
          summary: 'Caller wants a callback on Tuesday',
          extracted: { preferred_date: '2026-12-01', ssn_last4: '1234' },
          transcript: [{ role: 'caller', text: 'Hello, my number is 555-0100' }],
          metadata: { leadId: 'L-1', test: tag },
          ...extra,
        },
      };
    },
    async send(body) {
      const res = await call(kit.stack.api, 'POST', '/v1/events', body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body;
    },
    eventStatus: (id) => call(kit.stack.api, 'GET', `/v1/events/${id}`).then((r) => r.body),
    waitForStatus: (id, status, timeoutMs = 30_000) =>
      eventually(
        async () => {
          const body = await kit.eventStatus(id);
          return body?.status === status ? body : undefined;
        },
        timeoutMs,
        `event ${id} to be ${status}`,
      ),
    delivery: (id) => call(kit.stack.api, 'GET', `/v1/deliveries/${id}`).then((r) => r.body),
    waitForDelivery: (id, status, timeoutMs = 30_000) =>
      eventually(
        async () => {
          const body = await kit.delivery(id);
          return body?.status === status ? body : undefined;
        },
        timeoutMs,
        `delivery ${id} to be ${status}`,
      ),
  };
  return kit;
}
