import { Command, Option } from 'commander';
import type { z } from 'zod';
import type { deliveryActionSchema, deliveryListSchema, deliverySchema } from '../api/responseSchemas';
import { DELIVERY_STATUSES } from '../../workflows/contract/statuses';
import type { ContextSource } from './context';
import { integer, timeFlag } from './input';
import { fields, table } from './output';

/** `callbacks deliveries list|get|resend|discard`: /v1/deliveries, one event's delivery to one endpoint each. */

type Page = z.infer<typeof deliveryListSchema>;

interface ListFlags {
  endpoint?: string;
  status?: string;
  callId?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export function deliveriesCommand(context: ContextSource): Command {
  const deliveries = new Command('deliveries').description('deliveries: list them, read their attempts, resend or discard them');

  deliveries
    .command('list')
    .description('deliveries, newest first; prints the cursor of the next page')
    .option('--endpoint <id>', 'of this endpoint')
    .addOption(new Option('--status <status>', 'in this status').choices(DELIVERY_STATUSES))
    .option('--call-id <id>', 'of this call')
    .option('--type <type>', 'of this event type')
    .option('--since <time>', 'events from this time: ISO 8601 or a span back such as 6h', timeFlag())
    .option('--until <time>', 'events until this time: ISO 8601 or a span back', timeFlag())
    .option('--limit <n>', 'at most this many a page (1-100, default 50)', integer(1))
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--all', 'every page, following the cursors')
    .action(async (o: ListFlags) => {
      const { api, out, config } = context();
      const query = {
        endpointId: o.endpoint,
        status: o.status,
        callId: o.callId,
        eventType: o.type,
        since: o.since,
        until: o.until,
        limit: o.limit,
      };
      let page = await api.request<Page>('GET', '/v1/deliveries', { query: { ...query, cursor: o.cursor } });
      const rows = [...page.data];
      while (o.all && page.nextCursor) {
        page = await api.request<Page>('GET', '/v1/deliveries', { query: { ...query, cursor: page.nextCursor } });
        rows.push(...page.data);
      }
      if (config.json) return out.json({ data: rows, nextCursor: page.nextCursor });
      out.line(
        table(rows, [
          { header: 'DELIVERY', value: (d) => d.id },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'TYPE', value: (d) => d.eventType },
          { header: 'ATTEMPTS', value: (d) => d.attempts },
          { header: 'CREATED', value: (d) => d.createdAt },
        ]),
      );
      if (page.nextCursor) out.line(`next page: --cursor ${page.nextCursor}`);
    });

  deliveries
    .command('get')
    .description('one delivery, with its attempt log')
    .argument('<id>', 'the delivery id, <event id>~<endpoint id>')
    .action(async (id: string) => {
      const { api, out, config } = context();
      const d = await api.request<z.infer<typeof deliverySchema>>('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
      if (config.json) return out.json(d);
      out.line(
        fields([
          ['id', d.id],
          ['event', d.eventId],
          ['endpoint', d.endpointId],
          ['type', d.eventType],
          ['status', d.status],
          ['reason', d.reason],
          ['delivered at', d.deliveredAt],
          ['batch', d.batchId],
          ['coalesced by', d.coalescedBy],
        ]),
      );
      if (d.attempts.length === 0) return;
      out.line('');
      // The receiver's answer body stays out of the table (it may quote the payload); --json has it.
      out.line(
        table(d.attempts, [
          { header: 'ATTEMPT', value: (a) => a.attempt },
          { header: 'TARGET', value: (a) => a.target },
          { header: 'STARTED AT', value: (a) => a.startedAt },
          { header: 'MS', value: (a) => Math.round(a.durationMs) },
          { header: 'CODE', value: (a) => a.statusCode },
          { header: 'FAILURE', value: (a) => a.failure },
        ]),
      );
    });

  deliveries
    .command('resend')
    .description('deliver it again (any delivery not in progress)')
    .argument('<id>', 'the delivery id')
    .option('--url <url>', 'to this url, this once, instead of the endpoint\'s')
    .action(async (id: string, o: { url?: string }) => {
      const { api, out, config } = context();
      const body = o.url ? { url: o.url } : {};
      const result = await api.request<z.infer<typeof deliveryActionSchema>>('POST', `/v1/deliveries/${encodeURIComponent(id)}/resend`, { body });
      if (config.json) return out.json(result);
      out.line(`resend of ${result.id} ${result.mode === 'restarted' ? 'started as a new attempt series' : 'under way'}`);
    });

  deliveries
    .command('discard')
    .description('give up on a delivery awaiting review or held')
    .argument('<id>', 'the delivery id')
    .action(async (id: string) => {
      const { api, out, config } = context();
      const result = await api.request<z.infer<typeof deliveryActionSchema>>('POST', `/v1/deliveries/${encodeURIComponent(id)}/discard`, { body: {} });
      if (config.json) return out.json(result);
      out.line(`discarded ${result.id}`);
    });

  return deliveries;
}
