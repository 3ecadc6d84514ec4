import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config';
import { VERSION } from '../version';

/**
 * The process's OpenTelemetry tracing (docs/tracing.md), started only when OTEL_EXPORTER_OTLP_ENDPOINT
 * is set: one provider whose spans (the API's, the activities', and the workflows' through the
 * worker's sink) are batched and sent as OTLP/HTTP JSON. W3C trace context is the one propagator,
 * so a caller's `traceparent` continues here and a receiver's continues from here.
 */

export type ProcessRole = 'api' | 'worker';

export interface Tracing {
  /** The service's tracer: API spans, delivery attempts, and the Temporal interceptors'. */
  tracer: Tracer;
  /** Where the workflows' spans go too (makeWorkflowExporter), so they are batched with the rest. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered now (tests; a process about to stop). */
  flush(): Promise<void>;
  /** Flushes, stops the provider and unregisters it from the OpenTelemetry API. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  roles: readonly ProcessRole[];
  /** Replaces the OTLP exporter (none of the service's callers do; a test may collect spans itself). */
  exporter?: SpanExporter;
}

export function startTracing(config: TracingConfig, { roles, exporter }: TracingOptions): Tracing {
  const resource = new Resource({
    'service.name': config.serviceName,
    'service.version': VERSION,
    // What this process runs: `api`, `worker`, or both (`npm start`).
    'service.role': [...roles].sort().join('+'),
  });
  const spanProcessor = new BatchSpanProcessor(
    exporter ?? new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }),
    // Short enough that a trace shows up while someone is looking for it.
    { scheduledDelayMillis: 1_000 },
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The default context manager (AsyncLocalStorage) carries the active span across awaits.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const tracer = provider.getTracer('callback-events', VERSION);
  let stopped: Promise<void> | undefined;
  return {
    tracer,
    spanProcessor,
    resource,
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= provider.shutdown().finally(() => {
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped;
    },
  };
}
