import type { RequestHandler } from 'express';
import { tenantOf } from '../../workflows/contract';
import type { ServiceMetrics } from './registry';

/** What the API counts of event posts: accepted and duplicate events, and refusals for load. */
export interface IngestMetrics {
  /** Once Temporal answered the start: new (202) or a duplicate (200), for the caller's tenant. */
  accepted(eventType: string, tenantId: string, duplicate: boolean): void;
  /** Mounted on POST /v1/events ahead of the rate limit: counts the 429s and 503s it answers. */
  refusals: RequestHandler;
}

export function ingestMetrics(metrics: ServiceMetrics): IngestMetrics {
  return {
    accepted(eventType, tenantId, duplicate) {
      (duplicate ? metrics.eventsDuplicate : metrics.eventsAccepted).inc({ event_type: eventType, tenant: tenantOf(tenantId) });
    },
    refusals(_req, res, next) {
      res.on('finish', () => {
        if (res.statusCode === 429 || res.statusCode === 503) metrics.ingestRefused.inc({ status: String(res.statusCode) });
      });
      next();
    },
  };
}
