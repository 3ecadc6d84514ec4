import { createHash } from 'node:crypto';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { DELIVERY_STATUSES, RESENDABLE_STATUSES } from '../../workflows/contract';

/**
 * The web console at `/console` (docs/console.md): a page, the console's own ES modules from
 * src/console/ served as they are, and preact, htm and pico.css straight from node_modules under
 * `/console/vendor/`, so it needs no build step and works offline. It adds no API of its own:
 * every action is a call to `/v1` with the login session's cookie. It handles keys, so its
 * Content-Security-Policy allows this origin only (plus the one inline import map, by its hash).
 */

export const CONSOLE_PATH = '/console';
const APP = `${CONSOLE_PATH}/app`;
const VENDOR = `${CONSOLE_PATH}/vendor`;

const besides = (specifier: string, file: string) => path.join(path.dirname(require.resolve(specifier)), file);

/** What the browser may load from /console/vendor/, resolved through node_modules from a clean clone. */
const vendorFiles: Record<string, string> = {
  '/preact.module.js': besides('preact', 'preact.module.js'),
  '/hooks.module.js': besides('preact/hooks', 'hooks.module.js'),
  '/htm.module.js': besides('htm', 'htm.module.js'),
  '/pico.min.css': require.resolve('@picocss/pico'),
};

const appDir = path.join(__dirname, '..', 'console');

/** The statuses the console offers, from the one list the API validates with. */
const enumsModule = `export const DELIVERY_STATUSES = ${JSON.stringify(DELIVERY_STATUSES)};
export const RESENDABLE_STATUSES = ${JSON.stringify(RESENDABLE_STATUSES)};
`;

const importMap = JSON.stringify({
  imports: {
    preact: `${VENDOR}/preact.module.js`,
    'preact/hooks': `${VENDOR}/hooks.module.js`,
    htm: `${VENDOR}/htm.module.js`,
  },
});

const importMapHash = createHash('sha256').update(importMap).digest('base64');

export const CONSOLE_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${importMapHash}'`,
  "style-src 'self'",
  // pico.css draws its icons (select arrows, checkmarks) as data: SVGs.
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>callback-events console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${VENDOR}/pico.min.css" />
    <link rel="stylesheet" href="${APP}/console.css" />
    <script type="importmap">${importMap}</script>
    <script type="module" src="${APP}/main.js"></script>
  </head>
  <body>
    <div id="console"><main class="container"><p aria-busy="true">Loading the console…</p></main></div>
  </body>
</html>
`;

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  next();
};

/** GET and HEAD only; anything else falls through to the app's 404/405. */
const readOnly = (serve: RequestHandler): RequestHandler => (req, res, next) =>
  req.method === 'GET' || req.method === 'HEAD' ? serve(req, res, next) : next();

export function consoleRoutes(): Router {
  const router = Router();
  router.use(securityHeaders);
  router.get('/', (_req, res) => {
    res.set('cache-control', 'no-store').type('html').send(page);
  });
  router.use(
    '/vendor',
    readOnly((req, res, next) => {
      const file = vendorFiles[req.path];
      if (!file) return next();
      res.sendFile(file, { maxAge: '1h' });
    }),
  );
  router.use(
    '/app/enums.js',
    readOnly((req, res, next) => (req.path === '/' ? res.type('text/javascript').send(enumsModule) : next())),
  );
  // The console's own modules change with the service: revalidated on every load.
  router.use('/app', readOnly(express.static(appDir, { index: false, maxAge: 0, extensions: false })));
  return router;
}
