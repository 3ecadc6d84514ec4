import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { endpointCreateSchema, endpointPatchSchema } from '../domain/endpoint';
import { deliveryIdSchema, endpointIdSchema, eventIdSchema } from '../domain/ids';
import { VERSION } from '../version';
import { auditListQuerySchema } from './audit';
import { callParamsSchema } from './callRoutes';
import { codecBodySchema } from './codecRoutes';
import { deliveryListQuerySchema, discardBodySchema, resendBodySchema } from './deliveryRoutes';
import { recoverBodySchema, rotateBodySchema, testBodySchema } from './endpointRoutes';
import { previewBodySchema } from './endpointPreview';
import { referenceParamsSchema } from './referenceRoutes';
import { documentedEventBodySchema } from './eventBody';
import { json, ok, problem, transport } from './openapiParts';
import { sessionPaths, sessionSecurityScheme } from './openapiSession';
import * as responses from './responseSchemas';
import * as tenantSchemas from './tenantSchemas';
import { tenantCreateSchema, tenantIdSchema, tenantKeyCreateSchema, tenantPatchSchema } from '../domain/tenant';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the routes validate
 * with (request bodies, queries, ids) and the response schemas in responseSchemas.ts: one source
 * of truth, so the document cannot promise what the code does not check. Served at
 * `/openapi.json`; schemathesis fuzzes the service against it (`npm run test:fuzz`).
 */


/** Seconds to wait; sent with every 429 and 503 the API makes. */
const retryAfter = z.object({ 'retry-after': z.string().regex(/^[0-9]+$/).meta({ description: 'Seconds to wait before retrying.' }) });


/** Answers every `/v1` and `/codec` request can get, whatever the route: from auth and the body parser. */
const guarded: ZodOpenApiResponsesObject = {
  ...transport,
  '400': problem('Invalid request: a field, the query, or a body that is not JSON or nests too deep (`invalid_request`, `invalid_json`, `too_deep`).'),
  '401': problem('No API key, or not a valid one (`unauthorized`).'),
  '403': problem(
    'An ingest key, which may only post events; a tenant key naming another tenant in X-Tenant-Id; or, on /v1/tenants, any key but a service admin key (`forbidden`).',
  ),
  '413': problem('The body is larger than the limit (`payload_too_large`).'),
  '415': problem('The body is not UTF-8 (`unsupported_encoding`).'),
};
const notFound = { '404': problem('No such resource, or none in the caller’s tenant (`not_found`).') };

/** What every `/v1` operation takes beside its own parameters: the tenant a service key acts for. */
const tenantHeader = {
  'x-tenant-id': tenantIdSchema.optional().meta({
    description: 'The tenant a service key (CALLBACKS_API_KEY) acts for; absent: `default`. A tenant key acts for its own tenant only.',
  }),
};
/** A `/v1` request naming a tenant that does not exist in X-Tenant-Id. */
const unknownTenant = { '404': problem('X-Tenant-Id names no tenant (`not_found`).') };
const temporalDown = {
  '503': { ...problem('Temporal cannot be reached; nothing was done (`temporal_unavailable`).'), headers: retryAfter },
};

const endpointId = z.object({ id: endpointIdSchema });
const deliveryId = z.object({ id: deliveryIdSchema });

function op(
  tag: string,
  summary: string,
  answers: ZodOpenApiResponsesObject,
  more: Omit<ZodOpenApiOperationObject, 'responses'> = {},
): ZodOpenApiOperationObject {
  // The codec server serves every tenant (service keys only): it takes no X-Tenant-Id.
  if (tag === 'codec') return { tags: [tag], summary, ...more, responses: { ...guarded, ...answers } };
  const header = (more.requestParams?.header as z.ZodObject | undefined)?.shape ?? {};
  return {
    tags: [tag],
    summary,
    ...more,
    requestParams: { ...more.requestParams, header: z.object({ ...header, ...tenantHeader }) },
    responses: { ...guarded, ...unknownTenant, ...answers },
  };
}

/** Routes outside `/v1` that need no key. */
function open(summary: string, answers: ZodOpenApiResponsesObject): ZodOpenApiOperationObject {
  return { tags: ['service'], summary, security: [], responses: { ...transport, ...answers } };
}

/** For schemathesis's stateful phase (and readers): what a created endpoint's id leads to. */
const endpointLinks = Object.fromEntries(
  ['getEndpoint', 'updateEndpoint', 'deleteEndpoint', 'getEndpointSecret', 'rotateEndpointSecret', 'getEndpointPublicKey', 'testEndpoint', 'recoverEndpoint'].map(
    (operationId) => [operationId, { operationId, parameters: { id: '$response.body#/id' } }],
  ),
);

/** What a delivery id found at `pointer` in a response leads to. */
const deliveryLinks = (pointer: string) =>
  Object.fromEntries(
    ['getDelivery', 'resendDelivery', 'discardDelivery'].map((operationId) => [operationId, { operationId, parameters: { id: `$response.body#/${pointer}` } }]),
  );

function build() {
  const endpointsPaths = {
    '/v1/endpoints': {
      post: op('endpoints', 'Create an endpoint', {
        '201': { ...ok('The endpoint, with its secret (shown here and at GET …/secret).', responses.createdEndpointSchema), links: endpointLinks },
        '400': problem('Invalid request (`invalid_request`, `invalid_json`, `too_deep`), or a `transform.jsonata` that does not compile (`invalid_transform`, with its position in `details`).'),
        '409': problem('An endpoint with this id exists (`conflict`).'),
      }, { operationId: 'createEndpoint', requestBody: { required: true, ...json(endpointCreateSchema) } }),
      get: op('endpoints', 'List endpoints', { '200': ok('Every endpoint.', responses.endpointListSchema) }),
    },
    '/v1/endpoints/{id}': {
      get: op('endpoints', 'Read an endpoint, with its flow control state', {
        '200': ok('The endpoint.', responses.endpointWithFlowSchema),
        ...notFound,
      }, { operationId: 'getEndpoint', requestParams: { path: endpointId } }),
      patch: op('endpoints', 'Change an endpoint (`null` clears an optional field)', {
        '200': ok('The endpoint as it is now.', responses.endpointSchema),
        '400': problem('Invalid request (`invalid_request`, `invalid_json`, `too_deep`), or a `transform.jsonata` that does not compile (`invalid_transform`, with its position in `details`).'),
        ...notFound,
        ...temporalDown,
      }, {
        operationId: 'updateEndpoint',
        requestParams: { path: endpointId },
        // No body reads as `{}`: a patch that changes nothing (answered with the endpoint as it is).
        requestBody: { required: false, ...json(endpointPatchSchema) },
      }),
      delete: op('endpoints', 'Delete an endpoint (its held deliveries end as discarded)', {
        '204': { description: 'Deleted.' },
        ...notFound,
        ...temporalDown,
      }, { operationId: 'deleteEndpoint', requestParams: { path: endpointId } }),
    },
    '/v1/endpoints/{id}/secret': {
      get: op('endpoints', 'Read the signing secret', {
        '200': ok('`whsec_…` (hmac-sha256), or `whsk_…` with its `publicKey` (ed25519).', responses.endpointSecretSchema),
        ...notFound,
      }, { operationId: 'getEndpointSecret', requestParams: { path: endpointId } }),
    },
    '/v1/endpoints/{id}/secret/rotate': {
      post: op('endpoints', 'Rotate the signing secret', {
        '200': ok('The new secret; the replaced one signs beside it until `previousSecretExpiresAt`.', responses.rotatedSecretSchema),
        ...notFound,
      }, { operationId: 'rotateEndpointSecret', requestParams: { path: endpointId }, requestBody: { required: false, ...json(rotateBodySchema) } }),
    },
    '/v1/endpoints/{id}/public-key': {
      get: op('endpoints', 'Read the public key of an ed25519 endpoint', {
        '200': ok('The public key (and the previous one during a rotation).', responses.publicKeySchema),
        ...notFound,
        '409': problem('The endpoint signs with hmac-sha256 (`no_public_key`).'),
      }, { operationId: 'getEndpointPublicKey', requestParams: { path: endpointId } }),
    },
    '/v1/endpoints/{id}/preview': {
      post: op('endpoints', 'Show what the endpoint would receive for an event (scope, transform, headers); nothing is sent or stored', {
        '200': ok('The body and headers; the signature headers are named, their values computed only when sent.', responses.endpointPreviewSchema),
        ...notFound,
        '422': problem('The endpoint’s transform failed on this event (`transform_failed`, with jsonata’s message).'),
      }, { operationId: 'previewEndpoint', requestParams: { path: endpointId }, requestBody: { required: true, ...json(previewBodySchema) } }),
    },
    '/v1/endpoints/{id}/test': {
      post: op('endpoints', 'Send one signed sample event (endpoint_test, or any type’s catalog example), marked test: true, and report the attempt', {
        '200': ok('The attempt’s outcome.', responses.endpointTestResultSchema),
        '202': ok('No outcome yet (waiting for a slot under the endpoint’s flow control, or slower than the attempt timeout).', responses.endpointTestPendingSchema),
        ...notFound,
        '409': problem('The endpoint is disabled (`endpoint_disabled`).'),
        ...temporalDown,
      }, { operationId: 'testEndpoint', requestParams: { path: endpointId }, requestBody: { required: false, ...json(testBodySchema) } }),
    },
    '/v1/endpoints/{id}/recover': {
      post: op('endpoints', 'Resend the endpoint’s deliveries in a time window, as a job', {
        '202': {
          ...ok('The job, at GET /v1/jobs/{jobId}.', responses.jobStartedSchema),
          links: { GetJob: { operationId: 'getJob', parameters: { id: '$response.body#/jobId' } } },
        },
        ...notFound,
        ...temporalDown,
      }, { operationId: 'recoverEndpoint', requestParams: { path: endpointId }, requestBody: { required: true, ...json(recoverBodySchema) } }),
    },
  };

  const eventPaths = {
    '/v1/events': {
      post: op('events', 'Post a call event', {
        '200': ok('A known id: nothing new was started (`duplicate: true`).', responses.eventAcceptedSchema),
        '202': { ...ok('Accepted: the event is durable in Temporal.', responses.eventAcceptedSchema), links: { GetEvent: { operationId: 'getEvent', parameters: { id: '$response.body#/id' } } } },
        '429': { ...problem('Over the key’s rate, or the tenant’s `limits.ingestPerSecond` (`rate_limited`).'), headers: retryAfter },
        ...temporalDown,
      }, {
        operationId: 'postEvent',
        requestParams: {
          header: z.object({
            'idempotency-key': eventIdSchema.optional().meta({ description: 'The event id, when the body has none.' }),
          }),
        },
        requestBody: { required: true, ...json(documentedEventBodySchema()) },
      }),
    },
    '/v1/events/{id}': {
      get: op('events', 'Read an event and its deliveries', {
        '200': { ...ok('The event.', responses.eventSnapshotSchema), links: deliveryLinks('deliveries/0/id') },
        ...notFound,
        ...temporalDown,
      }, { operationId: 'getEvent', requestParams: { path: z.object({ id: eventIdSchema }) } }),
    },
    '/v1/event-types': {
      get: op('events', 'The event catalog', { '200': ok('Every event type with the JSON Schema of its data and an example of it.', responses.catalogSchema) }),
    },
  };

  const deliveryPaths = {
    '/v1/deliveries': {
      get: op('deliveries', 'List deliveries, newest first', {
        '200': { ...ok('A page; `nextCursor` fetches the next.', responses.deliveryListSchema), links: deliveryLinks('data/0/id') },
        ...temporalDown,
      }, { requestParams: { query: deliveryListQuerySchema } }),
    },
    '/v1/deliveries/{id}': {
      get: op('deliveries', 'Read a delivery with its attempt log', {
        '200': ok('The delivery.', responses.deliverySchema),
        ...notFound,
        ...temporalDown,
      }, { operationId: 'getDelivery', requestParams: { path: deliveryId } }),
    },
    '/v1/deliveries/{id}/resend': {
      post: op('deliveries', 'Deliver again (any delivery not in progress)', {
        '202': ok('Resending.', responses.deliveryActionSchema),
        ...notFound,
        '409': problem('The delivery is in progress (`delivery_in_progress` or another state code).'),
        ...temporalDown,
      }, { operationId: 'resendDelivery', requestParams: { path: deliveryId }, requestBody: { required: false, ...json(resendBodySchema) } }),
    },
    '/v1/deliveries/{id}/discard': {
      post: op('deliveries', 'Give up a delivery awaiting review or held', {
        '202': ok('Discarding.', responses.deliveryActionSchema),
        ...notFound,
        '409': problem('The delivery is not awaiting review or held.'),
        ...temporalDown,
      }, { operationId: 'discardDelivery', requestParams: { path: deliveryId }, requestBody: { required: false, ...json(discardBodySchema) } }),
    },
    '/v1/calls/{callId}': {
      get: op('calls', 'Read a call: the context captured from endpoints’ answers, and its events with their statuses', {
        '200': ok('The call; its events oldest first.', responses.callSchema),
        '404': problem('The service holds neither context nor events for this call (`not_found`).'),
        ...temporalDown,
      }, { operationId: 'getCall', requestParams: { path: callParamsSchema } }),
    },
    '/v1/jobs/{id}': {
      get: op('deliveries', 'Read a bulk job’s progress', {
        '200': ok('The job.', responses.jobProgressSchema),
        ...notFound,
        ...temporalDown,
      }, { operationId: 'getJob', requestParams: { path: z.object({ id: z.string() }) } }),
    },
    '/v1/audit': {
      get: op('audit', 'The audit log, newest first', {
        '200': ok('A page; `nextCursor` fetches the next.', responses.auditListSchema),
      }, { requestParams: { query: auditListQuerySchema } }),
    },
  };

  const tenantId = z.object({ id: tenantIdSchema });
  const tenantPaths = {
    '/v1/tenants': {
      post: op('tenants', 'Create a tenant (service admin keys only)', {
        '201': ok('The tenant.', tenantSchemas.tenantSchema),
        '409': problem('A tenant with this id exists (`conflict`).'),
      }, { requestBody: { required: true, ...json(tenantCreateSchema) } }),
      get: op('tenants', 'List tenants (service admin keys only)', { '200': ok('Every tenant, `default` included.', tenantSchemas.tenantListSchema) }),
    },
    '/v1/tenants/{id}': {
      get: op('tenants', 'Read a tenant', { '200': ok('The tenant.', tenantSchemas.tenantSchema), ...notFound }, { requestParams: { path: tenantId } }),
      patch: op('tenants', 'Change a tenant (`null` clears an optional field)', {
        '200': ok('The tenant as it is now.', tenantSchemas.tenantSchema),
        ...notFound,
      }, { requestParams: { path: tenantId }, requestBody: { required: false, ...json(tenantPatchSchema) } }),
      delete: op('tenants', 'Delete a tenant: its keys stop at once; its waiting deliveries are discarded and its rows removed by a job', {
        '202': {
          ...ok('The deletion job, at GET /v1/jobs/{jobId}.', responses.jobStartedSchema),
          links: { GetJob: { operationId: 'getJob', parameters: { id: '$response.body#/jobId' } } },
        },
        ...notFound,
        '409': problem('`default` cannot be deleted (`conflict`).'),
        ...temporalDown,
      }, { requestParams: { path: tenantId } }),
    },
    '/v1/tenants/{id}/keys': {
      post: op('tenants', 'Give a tenant an API key (shown once)', {
        '201': ok('The key, with its material in `key`.', tenantSchemas.tenantKeyCreatedSchema),
        ...notFound,
      }, { requestParams: { path: tenantId }, requestBody: { required: true, ...json(tenantKeyCreateSchema) } }),
      get: op('tenants', 'List a tenant’s keys (never their material)', {
        '200': ok('The keys.', tenantSchemas.tenantKeyListSchema),
        ...notFound,
      }, { requestParams: { path: tenantId } }),
    },
    '/v1/tenants/{id}/keys/{keyId}': {
      delete: op('tenants', 'Revoke a tenant key, at once on every API process', {
        '204': { description: 'Revoked.' },
        ...notFound,
      }, { requestParams: { path: z.object({ id: tenantIdSchema, keyId: z.string() }) } }),
    },
  };

  const codecOp = (what: 'Encode' | 'Decode') =>
    op('codec', `${what} Temporal payloads (the Web UI's codec server)`, {
      '200': ok(`The payloads, ${what.toLowerCase()}d.`, responses.codecPayloadsSchema),
    }, { requestBody: { required: true, ...json(codecBodySchema) } });

  const servicePaths = {
    '/healthz': {
      get: open('Whether the store and Temporal answer', {
        '200': ok('Both answer.', responses.healthSchema),
        '503': ok('One does not.', responses.healthSchema),
      }),
    },
    '/openapi.json': {
      get: open('This document', { '200': ok('The OpenAPI 3.1 document.', z.record(z.string(), z.unknown())) }),
    },
    '/docs': {
      get: open('This document as a page', {
        '200': { description: 'An HTML page that renders /openapi.json.', content: { 'text/html': { schema: z.string() } } },
      }),
    },
    '/console': {
      get: open('The web console (docs/console.md): a page that acts through this API with the login session', {
        '200': { description: 'An HTML page; its scripts and styles are served from this server under /console/.', content: { 'text/html': { schema: z.string() } } },
      }),
    },
    '/metrics': {
      get: {
        tags: ['service'],
        summary: 'This process\'s metrics, in Prometheus text format (docs/metrics.md)',
        description: 'Needs an admin key or the metrics token (CALLBACKS_METRICS_TOKEN) as `Authorization: Bearer …`; open when neither is configured.',
        responses: {
          ...transport,
          '200': { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: z.string() } } },
          '401': problem('No key or token, or not a valid one (`unauthorized`).'),
          '403': problem('An ingest key (`forbidden`).'),
        },
      },
    },
    '/v1/references/{token}': {
      get: {
        ...open('Follow a reference URL (no API key: the token is the capability); every fetch is audited', {
          '302': {
            description: 'The token is valid and its endpoint still holds the approval: a redirect to the stored link.',
            headers: z.object({
              location: z.url().meta({ description: 'The link the reference stands for.' }),
              'cache-control': z.literal('no-store'),
              'referrer-policy': z.literal('no-referrer'),
            }),
          },
          '404': problem('An altered, forged or unknown token; an endpoint that no longer holds the approval or was deleted; a link no longer kept. One answer for all (`not_found`).'),
          '410': problem('The token is genuine but has expired (`reference_expired`).'),
          '429': { ...problem('Too many fetches from this address (`rate_limited`).'), headers: retryAfter },
        }),
        tags: ['references'],
        operationId: 'followReference',
        requestParams: { path: referenceParamsSchema },
      },
    },
    '/codec/encode': { post: codecOp('Encode') },
    '/codec/decode': { post: codecOp('Decode') },
  };

  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'callback-events',
      version: VERSION,
      description: 'Signed, scoped, durable webhooks for voice-agent call events. Errors are `{ "error": { "code", "message", "details"? } }`.',
    },
    security: [{ apiKey: [] }, { session: [] }],
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A service key from CALLBACKS_API_KEY (`admin:` or `ingest:`; none is needed when none is configured), or a tenant key (`cbk_…`, POST /v1/tenants/{id}/keys), which acts only for its tenant.',
        },
        session: sessionSecurityScheme,
      },
      schemas: { Error: responses.errorBodySchema, Endpoint: responses.endpointSchema },
    },
    paths: { ...tenantPaths, ...endpointsPaths, ...eventPaths, ...deliveryPaths, ...servicePaths, ...sessionPaths() },
  }, {
    // The endpoint filter is checked by code (filter.ts); its own metadata says it is an object.
    allowEmptySchema: { custom: true },
  });
}

let built: ReturnType<typeof build> | undefined;

/** Built once per process, on first use. */
export function openApiDocument(): ReturnType<typeof build> {
  built ??= build();
  return built;
}
