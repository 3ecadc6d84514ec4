import { Command } from 'commander';
import type { z } from 'zod';
import type { eventBodySchema } from '../api/eventBody';
import type { catalogSchema, eventAcceptedSchema, eventSnapshotSchema } from '../api/responseSchemas';
import type { Context, ContextSource } from './context';
import { UsageError } from './exit';
import { bodyFrom, pair, timeFlag, type BodySource } from './input';
import { fields, table } from './output';

/** `callbacks events send|get|simulate`: /v1/events, and the catalog's examples as real events. */

type EventBody = z.input<typeof eventBodySchema>;
type Accepted = z.infer<typeof eventAcceptedSchema>;

async function post(ctx: Context, body: EventBody, idempotencyKey?: string): Promise<void> {
  const headers = idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined;
  const accepted = await ctx.api.request<Accepted>('POST', '/v1/events', { body, headers });
  if (ctx.config.json) return ctx.out.json(accepted);
  ctx.out.line(`${accepted.duplicate ? 'already accepted' : 'accepted'} ${accepted.id} (workflow ${accepted.workflowId})`);
}

export function eventsCommand(context: ContextSource): Command {
  const events = new Command('events').description('call events: send them, follow them');

  events
    .command('send')
    .description('send an event ({ id?, type, occurredAt?, data }), as a producer does')
    .option('--data <json>', 'the event as JSON')
    .option('--file <path>', 'the event from a JSON file, - for stdin')
    .option('--idempotency-key <key>', 'the event id when the body has none: a retried send is then not a second event')
    .action(async (o: BodySource & { idempotencyKey?: string }) => {
      const body = bodyFrom(o);
      if (!body) throw new UsageError('give the event with --data \'<json>\' or --file path.json');
      await post(context(), body as EventBody, o.idempotencyKey);
    });

  events
    .command('get')
    .description('an event\'s status and each of its deliveries')
    .argument('<id>', 'the event id')
    .action(async (id: string) => {
      const { api, out, config } = context();
      const event = await api.request<z.infer<typeof eventSnapshotSchema>>('GET', `/v1/events/${encodeURIComponent(id)}`);
      if (config.json) return out.json(event);
      out.line(fields([['id', event.id], ['type', event.type], ['status', event.status]]));
      if (event.deliveries.length === 0) return;
      out.line('');
      out.line(
        table(event.deliveries, [
          { header: 'DELIVERY', value: (d) => d.id },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'ATTEMPTS', value: (d) => d.attempts },
          { header: 'LAST CODE', value: (d) => d.lastStatusCode },
          { header: 'DELIVERED AT', value: (d) => d.deliveredAt },
          { header: 'REASON', value: (d) => d.reason ?? d.lastError },
        ]),
      );
    });

  events
    .command('simulate')
    .description('send the catalog\'s example of a type as a real event (GET /v1/event-types shows them)')
    .requiredOption('--type <type>', 'the event type')
    .option('--call-id <id>', 'the call id to use instead of the example\'s')
    .option('--metadata <key=value>', 'a metadata entry to add, repeatable (e.g. a CRM lead id)', pair)
    .option('--id <id>', 'the event id (default: a new one)')
    .option('--occurred-at <time>', 'when it happened: ISO 8601 or a span back such as 5m (default: now)', timeFlag())
    .action(async (o: { type: string; callId?: string; metadata?: Record<string, string>; id?: string; occurredAt?: string }) => {
      const ctx = context();
      const catalog = await ctx.api.request<z.infer<typeof catalogSchema>>('GET', '/v1/event-types');
      const entry = catalog.data.find((t) => t.type === o.type);
      if (!entry) throw new UsageError(`unknown event type "${o.type}"; one of: ${catalog.data.map((t) => t.type).join(', ')}`);
      const example = entry.example as Record<string, unknown> & { metadata?: Record<string, string> };
      const data = {
        ...example,
        ...(o.callId ? { callId: o.callId } : {}),
        ...(o.metadata ? { metadata: { ...example.metadata, ...o.metadata } } : {}),
      };
      await post(ctx, { type: o.type, data, ...(o.id ? { id: o.id } : {}), ...(o.occurredAt ? { occurredAt: o.occurredAt } : {}) });
    });

  return events;
}
