import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { CallbackEventsError } from '../errors';
import { storeUnavailable } from '../store/unavailable';
import { HTTP_STATUS } from './httpStatus';

export function notFound(what: string, id: string): CallbackEventsError {
  return new CallbackEventsError('not_found', `${what} "${id}" does not exist.`);
}

function issuePath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Parses `input` with `schema`, or throws a 400 naming each offending field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({
    path: issuePath(i.path),
    message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
  const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  throw new CallbackEventsError('invalid_request', `Invalid ${what}: ${summary}`, { details });
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new CallbackEventsError('not_found', `No route for ${req.method} ${req.path}.`));
};

/** body-parser's own refusals carry a `type`; those the API answers as a client's mistake. */
function bodyParserError(err: unknown): CallbackEventsError | undefined {
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return new CallbackEventsError('invalid_json', 'The request body is not valid JSON.');
  if (type === 'entity.too.large') return new CallbackEventsError('payload_too_large', 'The request body is too large.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new CallbackEventsError('unsupported_encoding', 'Send the body as UTF-8 JSON.');
  }
  return undefined;
}

/** Every error the API answers with: `{ "error": { "code", "message", "details"? } }`, the status from HTTP_STATUS. */
export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = err instanceof CallbackEventsError ? err : (bodyParserError(err) ?? storeUnavailable(err));
    const status = known ? HTTP_STATUS[known.code] : 500;
    if (!known || status === 500) {
      onUnexpected(err);
      res.status(500).json({ error: { code: 'internal', message: 'Unexpected error; it has been logged.' } });
      return;
    }
    res.status(status).set(known.headers).json({ error: { code: known.code, message: known.message, details: known.details } });
  };
}
