import express from 'express';
import type { EventGateway } from '../events/eventGateway';
import { TemporalUnavailableError } from '../events/eventGateway';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { UrlPolicy } from '../urlPolicy';
import { requireApiKey } from './auth';
import { deliveryRoutes } from './deliveryRoutes';
import { endpointRoutes } from './endpointRoutes';
import { ApiError, errorHandler, temporalUnavailable, unknownRoute } from './errors';
import { eventRoutes, eventTypeRoutes } from './eventRoutes';

export interface AppDeps {
  store: Store;
  events: EventGateway;
  policy: UrlPolicy;
  apiKeys: string[];
  log: Logger;
}

export function createApp({ store, events, policy, apiKeys, log }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      log.debug('request', { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) });
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

  const v1 = express.Router();
  v1.use(requireApiKey(apiKeys));
  v1.use(express.json({ limit: '256kb', strict: true, type: () => true }));
  v1.use('/endpoints', endpointRoutes({ store, events, policy }));
  v1.use('/events', eventRoutes({ events }));
  v1.use('/event-types', eventTypeRoutes());
  v1.use('/deliveries', deliveryRoutes({ events, policy }));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use((err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    next(err instanceof TemporalUnavailableError ? temporalUnavailable() : err);
  });
  app.use(errorHandler((err) => log.error('unexpected error', { error: err instanceof Error ? err.message : String(err) })));
  return app;
}

export { ApiError };
