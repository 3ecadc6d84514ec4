import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/**
 * A server span for a request that starts workflows (`POST /v1/events` first of all): the root
 * of the event's trace, or a child of the caller's own when it sends a W3C `traceparent` (a voice
 * platform tracing its calls). Everything the request does runs in its context, so the Temporal
 * client interceptor carries it into the workflow's headers.
 */
export function serverSpan(tracer: Tracer, route: string): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // The body is read in the request stream's callbacks, which would otherwise run outside it.
    context.bind(active, req);
    context.with(active, next);
  };
}

/** Names the event on the request's span, when there is one: ids only, never the event's data. */
export function noteEvent(event: { id: string; type: string }): void {
  trace.getActiveSpan()?.setAttributes({ 'callbacks.event_id': event.id, 'callbacks.event_type': event.type });
}
