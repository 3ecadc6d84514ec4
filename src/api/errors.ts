import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';

/** Every error the API answers with: `{ "error": { "code", "message", "details"? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError(404, 'not_found', `${what} "${id}" does not exist.`);
}

export function temporalUnavailable(): ApiError {
  return new ApiError(503, 'temporal_unavailable', 'Temporal cannot be reached right now; nothing was accepted. Retry later.', undefined, {
    'retry-after': '5',
  });
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
  throw new ApiError(400, 'invalid_request', `Invalid ${what}: ${summary}`, details);
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};

export function errorHandler(onUnexpected: (err: unknown) => void): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof ApiError) {
      res.status(err.status).set(err.headers).json({ error: { code: err.code, message: err.message, details: err.details } });
      return;
    }
    // body-parser's own errors carry a status and a type.
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } });
      return;
    }
    if (type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'The request body is too large.' } });
      return;
    }
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      res.status(415).json({ error: { code: 'unsupported_encoding', message: 'Send the body as UTF-8 JSON.' } });
      return;
    }
    onUnexpected(err);
    res.status(500).json({ error: { code: 'internal', message: 'Unexpected error; it has been logged.' } });
  };
}
