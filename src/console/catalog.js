import { html } from './html.js';
import { useCatalog } from './catalogData.js';
import { ErrorBox } from './errorBox.js';
import { pretty } from './format.js';

/** GET /v1/event-types: every type, what it means, its sensitive fields, an example and its schema. */
export function Catalog() {
  const { types, error } = useCatalog();
  return html`<section>
    <hgroup><h2>Event catalog</h2><p>The types an endpoint can receive, each with an example (what a test send delivers).</p></hgroup>
    <${ErrorBox} error=${error} />
    ${types.length === 0 && !error ? html`<p aria-busy="true">Loading…</p>` : null}
    ${types.map(
      (t) => html`<article class="event-type" id=${`type-${t.type}`}>
        <header><h3><code>${t.type}</code></h3><p>${t.description}</p></header>
        ${t.sensitiveFields.length
          ? html`<p><small>Sensitive (sent only to endpoints approved for them): ${t.sensitiveFields.map((f) => html`<code>${f}</code> `)}</small></p>`
          : null}
        <details open><summary>Example data</summary><pre class="mono">${pretty(t.example)}</pre></details>
        <details><summary>JSON Schema</summary><pre class="mono">${pretty(t.schema)}</pre></details>
      </article>`,
    )}
  </section>`;
}
