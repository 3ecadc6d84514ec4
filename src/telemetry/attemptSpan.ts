import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';

/**
 * One delivery attempt as a span, a child of the activity's (and so of the event's trace). Its
 * attributes are ids, numbers and outcomes only: never the url (it may carry credentials), the
 * body, headers or anything of the call.
 */

export const ATTEMPT_SPAN_NAME = 'DeliveryAttempt';

export interface AttemptFacts {
  endpointId: string;
  deliveryId: string;
  attempt: number;
  target: 'primary' | 'fallback';
  /** The endpoint's `sendTraceparent`: the request carries this span as its W3C parent. */
  sendTraceparent: boolean;
}

export interface AttemptResult {
  statusCode?: number;
  /** What the attempt means for the delivery: delivered, retry, gone, rejected. */
  outcome: string;
  failure?: string;
}

/**
 * Runs `send` inside the attempt's span (or as is, without a tracer). `send` gets the span's
 * `traceparent` when the endpoint asked for it; `describe` reads the result for the span.
 */
export async function tracedAttempt<T>(
  tracer: Tracer | undefined,
  facts: AttemptFacts,
  send: (traceparent?: string) => Promise<T>,
  describe: (result: T) => AttemptResult,
): Promise<T> {
  if (!tracer) return send(undefined);
  const span = tracer.startSpan(ATTEMPT_SPAN_NAME, {
    kind: SpanKind.CLIENT,
    attributes: {
      'callbacks.endpoint_id': facts.endpointId,
      'callbacks.delivery_id': facts.deliveryId,
      'callbacks.attempt': facts.attempt,
      'callbacks.target': facts.target,
      'callbacks.traceparent_sent': facts.sendTraceparent,
    },
  });
  const active = trace.setSpan(context.active(), span);
  const carrier: Record<string, string> = {};
  if (facts.sendTraceparent) propagation.inject(active, carrier);
  try {
    const result = await context.with(active, () => send(carrier.traceparent));
    const { statusCode, outcome, failure } = describe(result);
    if (statusCode !== undefined) span.setAttribute('http.response.status_code', statusCode);
    span.setAttribute('callbacks.outcome', outcome);
    if (failure) span.setAttribute('callbacks.failure', failure);
    if (outcome !== 'delivered') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    return result;
  } catch (err) {
    // The message may name the target; the span says only that the attempt could not be made.
    span.setAttribute('callbacks.outcome', 'error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the attempt could not be made' });
    throw err;
  } finally {
    span.end();
  }
}
