/**
 * The operator's side of the API, as the scenarios and the ledger use it: endpoints (create, edit,
 * disable, delete, rotate the secret) and what the service says about each event's deliveries.
 * Retries connection errors and 503s for a while: an operator's call may land while the API or
 * Temporal restarts.
 */

export interface DeliveryView {
  id: string;
  endpointId: string;
  status: string;
  reason?: string;
  attempts?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Admin {
  constructor(private readonly api: () => string) {}

  async call(method: string, path: string, body?: unknown, patienceMs = 60_000): Promise<{ status: number; body: any }> {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      try {
        const res = await fetch(this.api() + path, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status !== 503 || Date.now() > deadline) return { status: res.status, body: text ? JSON.parse(text) : undefined };
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await sleep(500);
    }
  }

  private async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  createEndpoint(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    return this.expect(201, 'POST', '/v1/endpoints', body);
  }

  patchEndpoint(id: string, body: Record<string, unknown>): Promise<unknown> {
    return this.expect(200, 'PATCH', `/v1/endpoints/${id}`, body);
  }

  async deleteEndpoint(id: string): Promise<void> {
    const res = await this.call('DELETE', `/v1/endpoints/${id}`);
    if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE endpoint ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  rotateSecret(id: string, graceSeconds: number): Promise<{ secret: string }> {
    return this.expect(200, 'POST', `/v1/endpoints/${id}/secret/rotate`, { graceSeconds });
  }

  /** The event's deliveries as its workflow reports them; undefined when Temporal does not know it. */
  async deliveriesOf(eventId: string): Promise<DeliveryView[] | undefined> {
    const res = await this.call('GET', `/v1/events/${eventId}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET /v1/events/${eventId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.deliveries as DeliveryView[];
  }

  /** Every delivery to `endpointId` in `status`, from visibility (cheap: no workflow is queried). */
  async listDeliveries(endpointId: string, status: string): Promise<Array<{ eventId: string; status: string }>> {
    const out: Array<{ eventId: string; status: string }> = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ endpointId, status, limit: '100', ...(cursor ? { cursor } : {}) });
      const body = await this.expect(200, 'GET', `/v1/deliveries?${q}`);
      out.push(...(body.data as Array<{ eventId: string; status: string }>));
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }
}
