import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { tenantIdSchema } from '../domain/tenant';
import { json, ok, problem, transport } from './openapiParts';
import { SESSION_COOKIE, SESSION_TTL_SECONDS } from './sessionCookie';
import { sessionLoginSchema, sessionSchema } from './sessionRoutes';

/** The login session's part of the OpenAPI document (sessionRoutes.ts). */

export const sessionSecurityScheme = {
  type: 'apiKey',
  in: 'cookie',
  name: SESSION_COOKIE,
  description:
    'The login session POST /v1/session sets (sealed, HttpOnly, SameSite=Strict), accepted wherever a bearer key is; a bearer key wins. ' +
    'A request it authenticates with a method other than GET/HEAD/OPTIONS must come from the API\'s own origin (Origin, else Sec-Fetch-Site: same-origin), or it is a 403.',
} as const;

const setCookie = z.object({
  'set-cookie': z.string().meta({
    description: `\`${SESSION_COOKIE}=…; Max-Age=${SESSION_TTL_SECONDS}; Path=/; HttpOnly; SameSite=Strict\` (and \`Secure\` over https).`,
  }),
});

export function sessionPaths(): ZodOpenApiPathsObject {
  return {
    '/v1/session': {
      post: {
        tags: ['session'],
        summary: 'Log in: trade an API key (a service key or a tenant key, either role) for the session cookie',
        operationId: 'login',
        security: [],
        requestBody: { required: true, ...json(sessionLoginSchema) },
        responses: {
          ...transport,
          '200': { ...ok('Logged in: who the session acts as.', sessionSchema), headers: setCookie },
          '400': problem('No `key`, or a body that is not JSON (`invalid_request`, `invalid_json`).'),
          '401': problem('Not a valid key (`unauthorized`).'),
          '403': problem('The Origin header names another site (`forbidden`).'),
          '413': problem('The body is larger than the limit (`payload_too_large`).'),
          '415': problem('The body is not UTF-8 (`unsupported_encoding`).'),
        },
      },
      get: {
        tags: ['session'],
        summary: 'Who the caller is: the session cookie\'s key, or the bearer key',
        operationId: 'getSession',
        requestParams: {
          header: z.object({ 'x-tenant-id': tenantIdSchema.optional().meta({ description: 'The tenant a service key acts for; absent: `default`.' }) }),
        },
        responses: {
          ...transport,
          '200': ok('The caller.', sessionSchema),
          '400': problem('An X-Tenant-Id that is not a tenant id (`invalid_request`).'),
          '401': problem('No key and no session, an expired or altered session, or a key no longer valid (`unauthorized`).'),
          '403': problem('A tenant key naming another tenant in X-Tenant-Id (`forbidden`).'),
        },
      },
      delete: {
        tags: ['session'],
        summary: 'Log out: clears the session cookie',
        operationId: 'logout',
        security: [],
        responses: { ...transport, '204': { description: 'The cookie is cleared.', headers: setCookie } },
      },
    },
  };
}
