import { html } from './html.js';

/** The API's error as it answered it: its code and its message, word for word. */
export function ErrorBox({ error }) {
  if (!error) return null;
  const code = error.code || 'error';
  return html`<article class="error" role="alert">
    <strong><code>${code}</code></strong> ${error.status ? html`<small>(HTTP ${error.status})</small>` : null}
    <p>${error.message}</p>
  </article>`;
}
