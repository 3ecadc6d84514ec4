import { Pool } from 'undici';

/**
 * The producer side: events posted to `POST /v1/events`, and endpoints created through the API,
 * over one keep-alive pool (a producer reuses its connections too).
 */

/** `many`: the e2e loop again, once the store holds many endpoints (`--endpoints`, manyEndpoints.ts). */
export type Phase = 'e2e' | 'fanout' | 'open50' | 'open80' | 'many';

/**
 * A valid `call_completed` event, as a producer posts it; `metadata` carries what test endpoints
 * filter on (the bench's phase, the chaos suite's scenario tag).
 */
export function callCompletedEvent(id: string, metadata: Record<string, string>): Record<string, unknown> {
  return {
    id,
    type: 'call_completed',
    data: {
      callId: `call-${id}`,
      startedAt: '2026-11-29T09:58:00Z',
      endedAt: '2026-11-29T10:00:00Z',
      durationMs: 120_000,
      endedReason: 'caller_hangup',
      disposition: 'qualified',
      // Sensitive, so the endpoint's scope drops it: the delivered body is scoped as in production.
      summary: 'Wants a callback on Tuesday',
      metadata: { ...metadata, leadId: 'L-1042' },
    },
  };
}

/** The bench's events: `data.metadata.phase` is what the bench endpoints filter on. */
export function eventBody(id: string, phase: Phase): string {
  return JSON.stringify(callCompletedEvent(id, { phase }));
}

export interface IngestOutcome {
  status: number;
  workflowId?: string;
}

export interface ApiClient {
  postEvent(id: string, phase: Phase): Promise<IngestOutcome>;
  createEndpoint(body: Record<string, unknown>): Promise<{ id: string; secret: string }>;
  close(): Promise<void>;
}

export function apiClient(baseUrl: string, connections: number): ApiClient {
  const pool = new Pool(baseUrl, { connections, keepAliveTimeout: 30_000 });
  async function post(path: string, body: string): Promise<{ status: number; json: any }> {
    const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.statusCode, json };
  }
  return {
    async postEvent(id, phase) {
      try {
        const { status, json } = await post('/v1/events', eventBody(id, phase));
        return { status, workflowId: status < 300 ? (json as { workflowId?: string }).workflowId : undefined };
      } catch {
        return { status: 0 }; // connection error: not accepted
      }
    },
    async createEndpoint(body) {
      const { status, json } = await post('/v1/endpoints', JSON.stringify(body));
      if (status !== 201) throw new Error(`creating endpoint ${String(body.id)}: HTTP ${status} ${JSON.stringify(json)}`);
      return json as { id: string; secret: string };
    },
    close: () => pool.close(),
  };
}
