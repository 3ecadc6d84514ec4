import type { RequestHandler } from 'express';

/**
 * `/ui/render`: the page the Temporal UI frames to show a workflow's summary and details. The UI
 * server (2.54, in the 1.9 CLI) serves it only at its root: under a public path (`/ui`) the request
 * falls through to the app, which answers "Not Found", and summaries show as empty boxes. Until
 * that is fixed upstream, the API answers it: the text the UI passes (already decoded by the
 * codec, in `content`) as plain text, escaped, in a page that may load nothing. Markdown marks
 * are shown as written.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const DARK = /^dark/;

export const temporalUiRender: RequestHandler = (req, res) => {
  const content = typeof req.query.content === 'string' ? req.query.content : '';
  const theme = typeof req.query.theme === 'string' && DARK.test(req.query.theme) ? 'dark' : 'light';
  const compact = req.query.compact === 'true';
  const colors = theme === 'dark' ? 'color:#f8fafc;color-scheme:dark' : 'color:#121416;color-scheme:light';
  res.set({
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.send(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>` +
      `html,body{margin:0;background:transparent;${colors}}` +
      `body{font:14px/20px system-ui,sans-serif;padding:${compact ? '0' : '0.5rem'}}` +
      `main{display:block;white-space:pre-wrap;overflow-wrap:anywhere}` +
      `</style></head><body><main>${escapeHtml(content)}</main></body></html>`,
  );
};
