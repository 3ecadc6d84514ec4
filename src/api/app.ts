import express from 'express';
import type { TemporalServices } from '../temporal/services';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { UrlPolicy } from '../domain/urlPolicy';
import { authenticate, requireRole, requireServiceAdmin } from './auth';
import { codecRoutes, type CodecServerOptions } from './codecRoutes';
import { auditContext, auditRoutes } from './audit';
import { callRoutes } from './callRoutes';
import { limitErrors, rateLimit, tenantRateLimit, verifyJsonDepth } from './limits';
import type { ApiKey } from '../config';
import type { TransformRunner } from '../transforms/pool';
import { deliveryRoutes } from './deliveryRoutes';
import { endpointRoutes } from './endpointRoutes';
import { docsRoutes } from './docsRoutes';
import { CONSOLE_PATH, consoleRoutes } from './consoleRoutes';
import { errorHandler, unknownRoute } from './errors';
import { eventRoutes, eventTypeRoutes } from './eventRoutes';
import { jobRoutes } from './jobRoutes';
import { methodNotAllowed, routeExists } from './routeTable';
import { tenantRoutes } from './tenantRoutes';
import { tenantScope } from './tenantScope';
import type { Sessions } from './sessionCookie';
import { sessionRoutes } from './sessionRoutes';
import { temporalUiProxy, UI_PATH } from './temporalUiProxy';
import { referenceRoutes } from './referenceRoutes';
import { REFERENCES_PATH, type References } from '../domain/references';
import { metricsRoutes } from './metricsRoutes';
import { ingestMetrics } from '../metrics/ingest';
import type { ServiceMetrics } from '../metrics/registry';
import type { Tracer } from '@opentelemetry/api';
import { serverSpan } from '../telemetry/serverSpan';

export interface AppDeps {
  store: Store;
  services: TemporalServices;
  policy: UrlPolicy;
  apiKeys: ApiKey[];
  log: Logger;
  /** The process's transform threads, for the preview (src/transforms/pool.ts). */
  transforms: TransformRunner;
  /** Reference URLs: the public url the preview shows them under, and the keys that verify their tokens. */
  references: References;
  /** Bulk jobs (recover, release) act on at most this many deliveries a second. */
  recoverPerSecond?: number;
  /** The payload codec, served at `/codec` for the Temporal Web UI; absent: no codec server. */
  codec?: CodecServerOptions;
  /** Request bodies larger than this are a 413. */
  maxEventBytes?: number;
  /** Events a second each API key may post (one bucket per API process); over it, 429. */
  ingestRps?: number;
  /** The process's metrics, counted here and served at `/metrics` (an admin key or `token`); absent: no `/metrics`. */
  metrics?: { metrics: ServiceMetrics; token?: string };
  /** Traces (docs/tracing.md): the requests that start workflows open a span; absent: none. */
  tracer?: Tracer;
  /** Login sessions (POST /v1/session), sealed under the master key; absent: no login, bearer keys only. */
  sessions?: Sessions;
  /** The embedded Temporal Web UI's own address (loopback), served at `/ui` to the service's admins; absent: no `/ui`. */
  temporalUi?: string;
}

/** The routes that start workflows: each request is a span, the root of what it starts. */
const TRACED_POSTS = ['/events', '/endpoints/:id/test', '/deliveries/:id/resend'];

export function createApp({
  store,
  services,
  policy,
  apiKeys,
  log,
  transforms,
  references,
  recoverPerSecond = 20,
  codec,
  maxEventBytes = 256 * 1024,
  ingestRps = 500,
  metrics,
  tracer,
  sessions,
  temporalUi,
}: AppDeps): express.Express {
  const { events } = services;
  const ingest = metrics && ingestMetrics(metrics.metrics);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = performance.now();
    // Read now: a router mounted on a prefix strips it from req.path while it handles the request,
    // and a response can finish in there. A reference's token is a capability: it is not logged.
    const path = req.path.toLowerCase().startsWith(`${REFERENCES_PATH}/`) ? `${REFERENCES_PATH}/…` : req.path;
    res.on('finish', () => {
      log.debug('request', { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) });
    });
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const checks = await Promise.allSettled([store.ping(), events.ping()]);
    const [storeOk, temporalOk] = checks.map((c) => c.status === 'fulfilled');
    res.status(storeOk && temporalOk ? 200 : 503).json({
      status: storeOk && temporalOk ? 'ok' : 'unavailable',
      store: storeOk ? 'ok' : 'unavailable',
      temporal: temporalOk ? 'ok' : 'unavailable',
    });
  });

  // The OpenAPI document and its page, without a key (docsRoutes.ts says why).
  app.use(docsRoutes());
  // The web console: static files only; it acts through /v1 with the login session (docs/console.md).
  app.use(CONSOLE_PATH, consoleRoutes());

  // The Temporal UI, same-origin so its codec calls carry the login cookie; for the service's admins only.
  if (temporalUi) app.use(UI_PATH, temporalUiProxy({ target: temporalUi, apiKeys, store, sessions }));

  // Without a key too: the token is the capability. Its own rate limit, per client address.
  app.use(REFERENCES_PATH, referenceRoutes({ store, tokens: references.tokens, log }));

  // Logging in trades a key for the session cookie, so it comes before /v1's authentication.
  if (sessions) app.use('/v1/session', sessionRoutes({ apiKeys, store, sessions }));

  const v1 = express.Router();
  // First, so the span covers authentication and limits, and the body is read in its context.
  if (tracer) for (const route of TRACED_POSTS) v1.post(route, serverSpan(tracer, `/v1${route}`));
  // Who calls, and for which tenant (a tenant key's own; a service key's X-Tenant-Id, else `default`):
  // a bearer key, else the login cookie.
  v1.use(authenticate(apiKeys, store, sessions));
  // Per key and per tenant, before the body is even read, so a runaway producer costs little and never reaches Temporal.
  if (ingest) v1.post('/events', ingest.refusals);
  v1.post('/events', rateLimit(ingestRps), tenantRateLimit());
  v1.use(express.json({ limit: maxEventBytes, strict: true, type: () => true, verify: verifyJsonDepth() }));
  // The tenant boundary, drawn once: every route below reaches only the caller's tenant's data.
  v1.use(tenantScope(store, services, routeExists(app)));
  v1.use(auditContext(log));
  // Ingest keys may post events and nothing else.
  v1.post('/events', requireRole('ingest'));
  // The pattern must take the whole first segment: a `use` path that stops inside a segment never matches.
  v1.use(/^\/(?!events\/?$)[^/]*/i, requireRole('admin'));
  v1.get(/^\/events(\/.*)?$/, requireRole('admin'));
  v1.use('/tenants', requireServiceAdmin);
  v1.use('/tenants', tenantRoutes({ store, recoverPerSecond }));
  v1.use('/endpoints', endpointRoutes({ policy, recoverPerSecond, transforms, publicUrl: references.publicUrl }));
  v1.use('/events', eventRoutes({ metrics: ingest }));
  v1.use('/event-types', eventTypeRoutes());
  v1.use('/deliveries', deliveryRoutes({ policy }));
  v1.use('/calls', callRoutes());
  v1.use('/jobs', jobRoutes());
  v1.use('/audit', auditRoutes());
  app.use('/v1', v1);
  // Outside /v1: its own CORS (the Web UI calls it from the browser), body limit and admin-only auth.
  if (codec) app.use('/codec', codecRoutes({ ...codec, apiKeys, sessions }));
  // Outside /v1: an admin key or the metrics token, so a scraper need hold no API key.
  if (metrics) app.use(metricsRoutes({ registry: metrics.metrics.registry, apiKeys, token: metrics.token }));

  app.use(methodNotAllowed(app));
  app.use(unknownRoute);
  app.use(limitErrors);
  app.use(errorHandler((err) => log.error('unexpected error', { error: err instanceof Error ? err.message : String(err) })));
  return app;
}
