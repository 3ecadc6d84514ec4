import express, { Router } from 'express';
import type { Registry } from 'prom-client';
import type { ApiKey } from '../config';
import { metricsAuth } from './auth';
import { errorHandler, unknownRoute } from './errors';

/**
 * `GET /metrics`: the process's registry (src/metrics/registry.ts) in Prometheus text format,
 * behind an admin key or the metrics token (auth.ts metricsAuth). The API mounts it on its own
 * port; a worker without the API serves it alone (metricsApp) on CALLBACKS_WORKER_METRICS_PORT.
 */

export interface MetricsRouteOptions {
  registry: Registry;
  apiKeys: ApiKey[];
  token?: string;
}

export function metricsRoutes({ registry, apiKeys, token }: MetricsRouteOptions): Router {
  const router = Router();
  router.get('/metrics', metricsAuth(apiKeys, token), async (_req, res) => {
    const body = await registry.metrics();
    res.set('content-type', registry.contentType).send(body);
  });
  return router;
}

/** The worker's metrics server: /metrics and nothing else, errors in the API's shape. */
export function metricsApp(options: MetricsRouteOptions & { onUnexpected: (err: unknown) => void }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRoutes(options));
  app.use(unknownRoute);
  app.use(errorHandler(options.onUnexpected));
  return app;
}
