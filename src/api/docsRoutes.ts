import path from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from './openapi';

/**
 * The API's description, without a key: `GET /openapi.json` (the OpenAPI 3.1 document) and
 * `GET /docs` (Swagger UI rendering it). Neither shows anything a key protects: the document
 * says what the API accepts, not what it holds. Swagger UI's files come from node_modules, so
 * the page works on a machine without internet.
 */

const ASSETS = '/docs/assets';
const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>callback-events API</title>
    <link rel="stylesheet" href="${ASSETS}/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS}/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
    </script>
  </body>
</html>
`;

export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.use(ASSETS, express.static(swaggerUiDir, { index: false, immutable: true, maxAge: '1d' }));
  return router;
}
