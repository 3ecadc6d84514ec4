import http from 'node:http';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ApiKey } from '../config';
import type { Store } from '../store/store';
import { CallbackEventsError } from '../errors';
import { authenticate, type Caller } from './auth';
import { SESSION_COOKIE, type Sessions } from './sessionCookie';
import { temporalUiRender } from './temporalUiRender';

/**
 * The embedded Temporal Web UI under the API's own origin, at `/ui` (the dev server runs it with
 * `--ui-public-path /ui` on a loopback port). Same-origin, the UI's codec calls to `/codec` carry
 * the login cookie, so an operator who logged in sees payloads decoded; and the UI, which shows
 * every tenant's workflows, is open only to the service's admin keys (a bearer or the session).
 *
 * A browser without a session asking for a page is sent to the console to log in; anything else
 * (assets, the UI's own API) is a 401. The login cookie and any Authorization header stay here:
 * the UI server needs neither.
 */

export const UI_PATH = '/ui';
export const LOGIN_PAGE = '/console';

/** Headers that describe this hop, not the request (and, on the way in, `host`, set for the UI server, and the key). */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'authorization']);

function withoutSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${SESSION_COOKIE}=`));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

function forward(target: URL, req: Request, res: Response, onError: (err: Error) => void): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!NOT_FORWARDED.has(name) && name !== 'cookie') headers[name] = value;
  const cookie = withoutSessionCookie(req.get('cookie'));
  if (cookie) headers.cookie = cookie;
  const upstream = http.request(
    { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.originalUrl, headers: { ...headers, host: target.host } },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  upstream.on('error', onError);
  // A browser that goes away (a page left mid-poll) ends the upstream request too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** A page navigation (what a person typed or clicked), as opposed to the UI's own fetches and assets. */
const isNavigation = (req: Request) =>
  req.method === 'GET' && (req.get('sec-fetch-mode') === 'navigate' || (req.get('sec-fetch-mode') === undefined && (req.get('accept') ?? '').includes('text/html')));

export function temporalUiProxy({ target, apiKeys, store, sessions }: { target: string; apiKeys: ApiKey[]; store: Store; sessions?: Sessions }): Router {
  const upstream = new URL(target);
  const router = Router();
  // With the store, a tenant key is known for what it is, and refused (403) as not the service's.
  const auth = authenticate(apiKeys, store, sessions);
  const gate: RequestHandler = (req, res, next) =>
    auth(req, res, (err?: unknown) => {
      if (err && isNavigation(req) && err instanceof CallbackEventsError && err.code === 'unauthorized') {
        res.redirect(302, `${LOGIN_PAGE}?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      if (err) return next(err);
      const caller = res.locals.caller as Caller;
      if (!caller.service || caller.role !== 'admin') {
        return next(new CallbackEventsError('forbidden', `The Temporal UI shows every tenant's workflows: it needs one of the service's admin keys, not this one (${caller.keyId}).`));
      }
      next();
    });
  router.use(gate);
  // The UI server does not serve its render page under a public path (temporalUiRender.ts).
  router.get('/render', temporalUiRender);
  router.use((req, res, next) => {
    forward(upstream, req, res, (err) => {
      if (res.headersSent) return res.destroy(err);
      next(new CallbackEventsError('temporal_unavailable', `The Temporal UI does not answer: ${err.message}`, { headers: { 'retry-after': '5' } }));
    });
  });
  return router;
}
