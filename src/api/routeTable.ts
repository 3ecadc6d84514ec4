import type { Express, Request, RequestHandler } from 'express';
import { CallbackEventsError } from '../errors';

/**
 * The routes an express app answers, read from its router: the OpenAPI test compares them with
 * the document, and a request to a known path with another method gets 405 with `Allow`.
 * Routes declared with a RegExp are guards (role checks), not endpoints, and are left out.
 */

export interface MountedRoute {
  method: string;
  /** Express syntax, e.g. `/v1/endpoints/:id`. */
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function walk(stack: Layer[], prefix: string, out: MountedRoute[]): MountedRoute[] {
  for (const layer of stack) {
    if (layer.route) {
      if (typeof layer.route.path !== 'string') continue;
      const full = prefix + (layer.route.path === '/' && prefix ? '' : layer.route.path);
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push({ method: method.toUpperCase(), path: full });
      }
    } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
      walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath), out);
    }
  }
  return out;
}

/** Each method and path once. */
export function mountedRoutes(app: Express): MountedRoute[] {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  const seen = new Set<string>();
  return walk(stack, '', []).filter(({ method, path }) => !seen.has(`${method} ${path}`) && seen.add(`${method} ${path}`));
}

function matcherFor(expressPath: string): RegExp {
  const pattern = expressPath
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}/?$`, 'i');
}

function tableOf(routes: MountedRoute[]): { matcher: RegExp; methods: Set<string> }[] {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD'); // express answers HEAD with the GET route
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ matcher: matcherFor(path), methods }));
}

function allowedMethods(table: { matcher: RegExp; methods: Set<string> }[], path: string): Set<string> {
  return new Set(table.filter((t) => t.matcher.test(path)).flatMap((t) => [...t.methods]));
}

/** Whether the app has a route for this request's method and path (from inside a router too). */
export function routeExists(app: Express): (req: Request) => boolean {
  let table: { matcher: RegExp; methods: Set<string> }[] | undefined;
  return (req) => {
    table ??= tableOf(mountedRoutes(app));
    return allowedMethods(table, req.baseUrl + req.path).has(req.method);
  };
}

/** For a path the app knows under other methods: 405 naming them, instead of a 404. */
export function methodNotAllowed(app: Express): RequestHandler {
  let table: { matcher: RegExp; methods: Set<string> }[] | undefined;
  return (req, _res, next) => {
    table ??= tableOf(mountedRoutes(app));
    const allowed = allowedMethods(table, req.path);
    if (allowed.size === 0 || allowed.has(req.method)) return next();
    const allow = [...allowed].sort().join(', ');
    next(new CallbackEventsError('method_not_allowed', `${req.method} is not allowed on ${req.path}; use ${allow}.`, { headers: { allow } }));
  };
}
