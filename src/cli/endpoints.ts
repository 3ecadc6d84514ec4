import { Command, Option } from 'commander';
import type { z } from 'zod';
import type { endpointCreateSchema, endpointPatchSchema } from '../domain/endpoint';
import type {
  createdEndpointSchema,
  endpointListSchema,
  endpointSchema,
  endpointTestPendingSchema,
  endpointTestResultSchema,
  endpointWithFlowSchema,
  rotatedSecretSchema,
} from '../api/responseSchemas';
import type { ContextSource } from './context';
import { OutcomeError } from './exit';
import { bodyFrom, integer, jsonFlag, list, type BodySource } from './input';
import { fields, table } from './output';

/** `callbacks endpoints list|get|create|update|delete|rotate|test`: /v1/endpoints. */

type EndpointView = z.infer<typeof endpointSchema> & Partial<Pick<z.infer<typeof endpointWithFlowSchema>, 'flow'>>;
type CreateBody = z.input<typeof endpointCreateSchema>;
type PatchBody = z.input<typeof endpointPatchSchema>;

interface SettingFlags extends BodySource {
  url?: string;
  types?: string[];
  description?: string;
  filter?: unknown;
  fallbackUrl?: string;
  include?: string[];
}

/** The flags both create and update take, for the fields set most often; `--data`/`--file` for the rest. */
function withSettingFlags(command: Command): Command {
  return command
    .option('--url <url>', 'where deliveries are posted')
    .option('--types <types>', 'the event types it receives, comma-separated (default: all)', list)
    .option('--description <text>', 'a note for people')
    .option('--filter <json>', 'a filter on the delivered body, e.g. \'{"data.disposition":"qualified"}\'', jsonFlag)
    .option('--fallback-url <url>', 'where deliveries go once the retries at --url are spent')
    .option('--include <paths>', 'sensitive data fields it may receive, comma-separated (payloadScope.include)', list)
    .option('--data <json>', 'the whole body as JSON (flags override its fields)')
    .option('--file <path>', 'the whole body from a JSON file, - for stdin (flags override its fields)');
}

/** The fields the flags set; absent flags leave the body's own fields alone. */
function settingsFrom(o: SettingFlags): Partial<CreateBody> {
  const set: Record<string, unknown> = {
    url: o.url,
    eventTypes: o.types,
    description: o.description,
    filter: o.filter,
    fallbackUrl: o.fallbackUrl,
    payloadScope: o.include ? { include: o.include } : undefined,
  };
  return Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as Partial<CreateBody>;
}

/** An endpoint for a person: its settings, with credentials named but never shown. */
function endpointFields(e: EndpointView): [string, unknown][] {
  const shown = new Set(['id', 'url', 'signing', 'disabled', 'disabledReason', 'eventTypes', 'description', 'filter', 'flow', 'auth', 'headers', 'createdAt', 'updatedAt']);
  const rest = Object.entries(e).filter(([key]) => !shown.has(key));
  return [
    ['id', e.id],
    ['url', e.url],
    ['status', e.disabled ? `disabled${e.disabledReason ? ` (${e.disabledReason})` : ''}` : 'enabled'],
    ['signing', e.signing],
    ['event types', e.eventTypes ?? 'all'],
    ['description', e.description],
    ['filter', e.filter],
    // auth and headers may hold credentials: their kind and names only.
    ['auth', e.auth?.type],
    ['headers', e.headers ? Object.keys(e.headers) : undefined],
    ...rest,
    ['flow', e.flow ? `concurrency ${e.flow.concurrency}, rate ${e.flow.rate ?? 'unlimited'}, queued ${e.flow.queued}, in flight ${e.flow.inFlight}` : undefined],
    ['created', e.createdAt],
    ['updated', e.updatedAt],
  ];
}

export function endpointsCommand(context: ContextSource): Command {
  const endpoints = new Command('endpoints').description('the endpoints deliveries go to');

  endpoints
    .command('list')
    .description('every endpoint')
    .action(async () => {
      const { api, out, config } = context();
      const page = await api.request<z.infer<typeof endpointListSchema>>('GET', '/v1/endpoints');
      if (config.json) return out.json(page);
      out.line(
        table(page.data, [
          { header: 'ID', value: (e) => e.id },
          { header: 'STATUS', value: (e) => (e.disabled ? 'disabled' : 'enabled') },
          { header: 'TYPES', value: (e) => e.eventTypes ?? 'all' },
          { header: 'URL', value: (e) => e.url },
        ]),
      );
    });

  endpoints
    .command('get')
    .description('one endpoint, with its flow control as it stands')
    .argument('<id>', 'the endpoint id')
    .action(async (id: string) => {
      const { api, out, config } = context();
      const endpoint = await api.request<z.infer<typeof endpointWithFlowSchema>>('GET', `/v1/endpoints/${encodeURIComponent(id)}`);
      if (config.json) return out.json(endpoint);
      out.line(fields(endpointFields(endpoint)));
    });

  withSettingFlags(
    endpoints
      .command('create')
      .description('a new endpoint; prints it with its signing secret')
      .option('--id <id>', 'a slug of your own (default: a generated ep-… id)')
      .addOption(new Option('--signing <scheme>', 'how deliveries are signed, fixed at creation').choices(['hmac-sha256', 'ed25519'])),
  ).action(async (o: SettingFlags & { id?: string; signing?: CreateBody['signing'] }) => {
    const { api, out, config } = context();
    const body = { ...bodyFrom(o), ...(o.id ? { id: o.id } : {}), ...(o.signing ? { signing: o.signing } : {}), ...settingsFrom(o) } as CreateBody;
    const created = await api.request<z.infer<typeof createdEndpointSchema>>('POST', '/v1/endpoints', { body });
    if (config.json) return out.json(created);
    const { secret, publicKey, ...endpoint } = created;
    out.line(fields([...endpointFields(endpoint), ['secret', secret], ['public key', publicKey]]));
  });

  withSettingFlags(
    endpoints
      .command('update')
      .description('change some of an endpoint\'s fields; in --data, null clears an optional one')
      .argument('<id>', 'the endpoint id')
      .addOption(new Option('--enable', 'enable it (its held deliveries are released)').conflicts('disable'))
      .addOption(new Option('--disable', 'disable it (its deliveries are held)')),
  ).action(async (id: string, o: SettingFlags & { enable?: boolean; disable?: boolean }) => {
    const { api, out, config } = context();
    const disabled = o.enable ? false : o.disable ? true : undefined;
    const body = { ...bodyFrom(o), ...settingsFrom(o), ...(disabled === undefined ? {} : { disabled }) } as PatchBody;
    const updated = await api.request<z.infer<typeof endpointSchema>>('PATCH', `/v1/endpoints/${encodeURIComponent(id)}`, { body });
    if (config.json) return out.json(updated);
    out.line(fields(endpointFields(updated)));
  });

  endpoints
    .command('delete')
    .description('delete an endpoint (its held deliveries end as discarded)')
    .argument('<id>', 'the endpoint id')
    .action(async (id: string) => {
      const { api, out, config } = context();
      await api.request('DELETE', `/v1/endpoints/${encodeURIComponent(id)}`);
      if (config.json) return out.json({ id, deleted: true });
      out.line(`deleted endpoint ${id}`);
    });

  endpoints
    .command('rotate')
    .description('a new signing secret; the replaced one keeps signing beside it for the grace period')
    .argument('<id>', 'the endpoint id')
    .option('--grace-seconds <n>', 'how long the replaced secret still signs (default 86400; 0: stops at once)', integer(0))
    .action(async (id: string, o: { graceSeconds?: number }) => {
      const { api, out, config } = context();
      const body = o.graceSeconds === undefined ? {} : { graceSeconds: o.graceSeconds };
      const rotated = await api.request<z.infer<typeof rotatedSecretSchema>>('POST', `/v1/endpoints/${encodeURIComponent(id)}/secret/rotate`, { body });
      if (config.json) return out.json(rotated);
      out.line(fields([['secret', rotated.secret], ['public key', rotated.publicKey], ['previous secret signs until', rotated.previousSecretExpiresAt]]));
    });

  endpoints
    .command('test')
    .description('one signed attempt of a sample event (marked "test": true); exits 1 unless it was delivered')
    .argument('<id>', 'the endpoint id')
    .option('--type <type>', 'the catalog type whose example is sent (default: endpoint_test)')
    .action(async (id: string, o: { type?: string }) => {
      const { api, out, config } = context();
      const body = o.type ? { type: o.type } : {};
      const result = await api.request<z.infer<typeof endpointTestResultSchema> | z.infer<typeof endpointTestPendingSchema>>(
        'POST',
        `/v1/endpoints/${encodeURIComponent(id)}/test`,
        { body },
      );
      if (config.json) out.json(result);
      else {
        out.line(
          fields([
            ['event', result.eventId],
            ['delivered', result.delivered ? 'yes' : 'no'],
            ['status code', 'statusCode' in result ? result.statusCode : undefined],
            ['status', 'status' in result ? result.status : undefined],
            ['error', result.error],
          ]),
        );
      }
      if (!result.delivered) throw new OutcomeError('not_delivered', result.error ?? `the test event ${result.eventId} was not delivered`);
    });

  return endpoints;
}
