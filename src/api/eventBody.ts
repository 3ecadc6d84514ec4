import { z } from 'zod';
import { dataSchemaFor, producerEventTypes, producerEventTypeSchema, serviceEventTypes, type EventType } from '../domain/catalog';
import { eventIdSchema } from '../domain/ids';

/**
 * The body of `POST /v1/events`. The route validates in two steps (this envelope, then `data`
 * against the catalog's schema for its type) so each step can word its errors; the OpenAPI
 * document shows the same rules as one union of the catalog's per-type schemas.
 */

export const eventBodySchema = z.strictObject({
  id: eventIdSchema.optional(),
  type: z.string().superRefine((t, ctx) => {
    if (serviceEventTypes.includes(t as EventType)) ctx.addIssue({ code: 'custom', message: `"${t}" is reserved for events the service makes itself` });
    else if (!producerEventTypeSchema.safeParse(t).success) {
      ctx.addIssue({ code: 'custom', message: `unknown event type "${t}"; one of: ${producerEventTypeSchema.options.join(', ')}` });
    }
  }).transform((t) => t as EventType),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.unknown()),
});

/** The envelope with `type` pinned to each producer type and `data` to that type's catalog schema. */
export function documentedEventBodySchema() {
  const variants = producerEventTypes.map((type) =>
    eventBodySchema.extend({ type: z.literal(type), data: dataSchemaFor(type) }),
  );
  return z.discriminatedUnion('type', variants as [(typeof variants)[number], ...typeof variants]);
}
