import { useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { when } from './format.js';

/** Shows the signing secret on demand and rotates it (the old one keeps signing for the grace period). */
export function EndpointSecret({ path }) {
  const [grace, setGrace] = useState('86400');
  const show = useAction(() => api('GET', `${path}/secret`));
  const rotate = useAction(() => api('POST', `${path}/secret/rotate`, { graceSeconds: Number(grace) }));
  const shown = rotate.result || show.result;
  return html`<details class="secret">
    <summary>Signing secret</summary>
    <div role="group">
      <button class="outline" onClick=${() => show.act()} aria-busy=${show.busy}>Show secret</button>
    </div>
    <form onSubmit=${(e) => { e.preventDefault(); rotate.act(); }} aria-label="Rotate secret">
      <label>Grace period, seconds (0: the old secret stops at once)
        <input name="graceSeconds" type="number" min="0" value=${grace} onInput=${(e) => setGrace(e.currentTarget.value)} />
      </label>
      <button type="submit" class="secondary" aria-busy=${rotate.busy}>Rotate secret</button>
    </form>
    <${ErrorBox} error=${show.error || rotate.error} />
    ${shown
      ? html`<div role="status">
          <pre class="secret">${shown.secret}</pre>
          ${shown.publicKey ? html`<p>Public key <code>${shown.publicKey}</code></p>` : null}
          ${rotate.result ? html`<p>The previous secret signs too until ${when(rotate.result.previousSecretExpiresAt)}.</p>` : null}
        </div>`
      : null}
  </details>`;
}
