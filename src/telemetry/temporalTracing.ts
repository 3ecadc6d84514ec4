import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULES } from '../temporal/workflowBundle';
import type { Tracing } from './tracing';

/**
 * Temporal's OpenTelemetry interceptors (@temporalio/interceptors-opentelemetry), wired only when
 * traces are on: the client's put the active context in a workflow's start (and signal-with-start)
 * headers; the workflows' (in the bundle) open the run's span and pass it to each activity's
 * headers; the activities' open each run's span from them. Workflow spans leave the isolate
 * through the `exporter` sink into the process's span processor.
 */

export function tracingClientInterceptors(tracing: Tracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] };
}

export function tracingWorkerInterceptors(tracing: Tracing, { prebuiltBundle }: { prebuiltBundle: boolean }): WorkerInterceptors {
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
        // Adds the trace and span ids to the activities' log lines.
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    // A prebuilt bundle was built with them (bundleWorkflows({ tracing: true })); the SDK ignores this then.
    ...(prebuiltBundle ? {} : { workflowModules: TRACING_WORKFLOW_MODULES }),
  };
}

export function tracingSinks(tracing: Tracing): InjectedSinks<OpenTelemetrySinks> {
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}
