import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { searchAttributes } from '../../workflows/contract';
import { Admin } from '../chaos/admin';
import { Producer } from '../chaos/producer';
import { chaosEvent, eventIds, until } from '../chaos/scenario';
import type { Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/stack';
import type { Topology } from './topology';

/**
 * The APIs share one service: an endpoint created through api-1 (written to the PostgreSQL store)
 * is seen by api-2 and matched by the events posted to api-2 only; the workers deliver them with
 * the endpoint's secret, which the `standardwebhooks` package verifies as a customer's receiver
 * would; api-1 reports them delivered (it queries the workflows api-2 started); and visibility
 * finds them by their CallId search attribute.
 */

export async function crossApiRun(o: { topology: Topology; receiver: Receiver; tag: string; log: (msg: string) => void }): Promise<{
  events: number;
  delivered: number;
  requests: number;
  validSignatures: number;
  foundByCallId: number;
  totalMs: number;
}> {
  const started = Date.now();
  const [api1, api2] = [new Admin(() => o.topology.apiUrl(0)), new Admin(() => o.topology.apiUrl(1))];
  const path = `/cross/${o.tag}`;
  const endpoint = await api1.createEndpoint({
    id: `cross-${o.tag}`,
    url: o.receiver.urlFor(path),
    eventTypes: ['call_completed'],
    filter: { 'data.metadata.chaos': o.tag },
  });
  o.receiver.trust(path, endpoint.secret);
  const seen = await api2.call('GET', `/v1/endpoints/${endpoint.id}`);
  assert.equal(seen.status, 200, `api-2 does not know the endpoint api-1 made: ${JSON.stringify(seen.body)}`);

  const ids = eventIds(o.tag, 5);
  const production = await new Producer({ api: [o.topology.apiUrl(1)], ids, body: (id) => chaosEvent(o.tag, id), concurrency: 5, deadlineMs: 30_000 }).run();
  assert.equal(production.accepted.size, ids.length, 'api-2 accepted every event');
  await until(() => o.receiver.ledger.count(path).distinct >= ids.length, 60_000, `${ids.length} deliveries to the endpoint made on api-1`);

  const requests = o.receiver.requests.filter((r) => r.path === path);
  const webhook = new Webhook(endpoint.secret);
  let validSignatures = 0;
  for (const r of requests) {
    webhook.verify(r.body, r.headers as Record<string, string>);
    validSignatures++;
  }
  for (const id of ids) assert.ok(requests.some((r) => r.body.includes(`"${id}"`)), `no delivery of ${id}`);
  for (const id of ids) {
    await eventually(async () => (await api1.call('GET', `/v1/events/${id}`)).body?.status === 'delivered', 30_000, `api-1 reports ${id} delivered`);
  }

  const connection = await Connection.connect({ address: o.topology.cluster.address });
  let foundByCallId = 0;
  try {
    const query = `${searchAttributes.callId.name} = 'call-${ids[0]}'`;
    foundByCallId = await eventually(async () => {
      const count = await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query });
      return Number(count.count) >= 1 && Number(count.count);
    }, 30_000, `a workflow where ${query}`);
  } finally {
    await connection.close();
  }
  o.log(`    endpoint ${endpoint.id} made on api-1; ${ids.length} events posted to api-2 delivered and signed with its secret`);
  return { events: ids.length, delivered: o.receiver.ledger.count(path).distinct, requests: requests.length, validSignatures, foundByCallId, totalMs: Date.now() - started };
}
