import jsonata from 'jsonata';
import { CallbackEventsError } from '../errors';
import type { TransformSettings } from './transformSchema';

export type { TransformSettings } from './transformSchema';

/**
 * Endpoint transforms (docs/api.md, "Transforms"): a JSONata expression evaluated on the body that
 * would be sent (`{ id, type, timestamp, data }`, already scoped for the endpoint), whose result is
 * the body that is sent and signed instead. Pure rules, no I/O: the API compiles to validate; a
 * transform thread (src/transforms/thread.ts) evaluates, for the delivery activity and the preview.
 */

export const TRANSFORM_TIME_LIMIT_MS = 100;
/**
 * Where a transform is stopped whatever it is doing: its thread is terminated
 * (src/transforms/pool.ts). The grace over TRANSFORM_TIME_LIMIT_MS lets jsonata's own check,
 * between steps, answer first with its clearer message.
 */
export const TRANSFORM_HARD_LIMIT_MS = TRANSFORM_TIME_LIMIT_MS + 50;
export const TRANSFORM_OUTPUT_LIMIT_BYTES = 256 * 1024;
/** Deep enough for any mapping; shallow enough that runaway recursion stops long before Node's stack does. */
const STACK_LIMIT = 200;

export interface CompiledTransform {
  /** The body to send, as JSON text; throws `transform_failed` with what went wrong. */
  run(body: unknown): Promise<string>;
}

interface JsonataErrorLike {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

/** jsonata throws plain objects with a code (and a position, when there is one), not Errors. */
function describe(err: unknown): JsonataErrorLike {
  if (err && typeof err === 'object') return err as JsonataErrorLike;
  return { message: String(err) };
}

/**
 * Compiles the expression, or throws `invalid_transform` (400) with where it went wrong: the
 * character position jsonata reports (1-based, the end of the offending token) and its code.
 */
export function compileTransform({ jsonata: source }: TransformSettings): CompiledTransform {
  let expression: jsonata.Expression;
  try {
    // jsonata's own guardrail: it checks the clock and the depth at each step of evaluation, so
    // even a loop that never yields to the event loop (where a timer cannot fire) stops in time.
    expression = jsonata(source, { timeout: TRANSFORM_TIME_LIMIT_MS, stack: STACK_LIMIT });
  } catch (err) {
    const { code, message, position, token } = describe(err);
    throw new CallbackEventsError(
      'invalid_transform',
      `transform.jsonata does not compile: ${message ?? 'syntax error'}${position === undefined ? '' : ` (at position ${position})`}`,
      { details: [{ path: 'transform.jsonata', message: message ?? 'syntax error', position, token, jsonataCode: code }] },
    );
  }
  return { run: (body) => evaluate(expression, body) };
}

function failed(message: string, cause?: unknown): CallbackEventsError {
  return new CallbackEventsError('transform_failed', message, { cause });
}

async function evaluate(expression: jsonata.Expression, body: unknown): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  // A timer too: it covers time spent waiting (an async step) that the guardrail does not see.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failed(`the transform ran longer than ${TRANSFORM_TIME_LIMIT_MS} ms`)), TRANSFORM_TIME_LIMIT_MS + 20);
  });
  let result: unknown;
  try {
    result = await Promise.race([expression.evaluate(body), deadline]);
  } catch (err) {
    if (err instanceof CallbackEventsError) throw err;
    const { code, message } = describe(err);
    if (code === 'D1012') throw failed(`the transform ran longer than ${TRANSFORM_TIME_LIMIT_MS} ms`, err);
    throw failed(message ?? 'the transform failed', err);
  } finally {
    clearTimeout(timer);
  }
  if (result === null || typeof result !== 'object') {
    throw failed(`the transform must produce a JSON object or array, not ${result === undefined ? 'nothing' : typeof result}`);
  }
  if (typeof (result as { apply?: unknown }).apply === 'function') throw failed('the transform must produce a JSON object or array, not a function');
  let text: string;
  try {
    text = JSON.stringify(result);
  } catch (err) {
    throw failed('the transform produced something that is not JSON', err);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > TRANSFORM_OUTPUT_LIMIT_BYTES) {
    throw failed(`the transform produced ${bytes} bytes; at most ${TRANSFORM_OUTPUT_LIMIT_BYTES} are sent`);
  }
  return text;
}

/** A create or patch body's transform, compiled once to answer `invalid_transform` before it is stored. */
export function assertTransformCompiles(transform: TransformSettings | undefined): void {
  if (transform) compileTransform(transform);
}
