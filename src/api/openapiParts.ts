import type { z } from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import { MAX_HEADER_BYTES } from './limits';
import { errorBodySchema } from './responseSchemas';

/** Pieces the OpenAPI document (openapi.ts and the files beside it) builds its answers from. */

export const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
export const ok = (description: string, schema: z.ZodType) => ({ description, ...json(schema) });
export const problem = (description: string) => ({ description, ...json(errorBodySchema) });

/** What the HTTP server itself answers, before any route: a request line and headers over MAX_HEADER_BYTES. */
export const transport: ZodOpenApiResponsesObject = {
  '431': { description: `The request line and headers together are over ${MAX_HEADER_BYTES / 1024} KiB (answered by the HTTP server, with no body).` },
};
