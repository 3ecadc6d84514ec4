import { html } from './html.js';
import { api } from './api.js';
import { useAction, useApi } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { href } from './route.js';
import { pretty } from './format.js';
import { EndpointEdit } from './endpointEdit.js';
import { EndpointSecret } from './endpointSecret.js';
import { EndpointTest } from './endpointTest.js';
import { EndpointPreview } from './endpointPreview.js';

/** One endpoint: its settings and flow, and every action on it. */
export function EndpointDetail({ id }) {
  const path = `/v1/endpoints/${encodeURIComponent(id)}`;
  const { data: endpoint, error, loading, reload } = useApi(path);
  const toggle = useAction((disabled) => api('PATCH', path, { disabled }));
  const setDisabled = async (disabled) => {
    if (await toggle.act(disabled)) reload();
  };

  if (error) return html`<section><h2>Endpoint ${id}</h2><${ErrorBox} error=${error} /></section>`;
  if (!endpoint) return html`<p aria-busy=${loading}>Loading…</p>`;
  const { flow, ...settings } = endpoint;
  return html`<section class="endpoint">
    <nav aria-label="breadcrumb"><ul><li><a href=${href(['endpoints'])}>Endpoints</a></li><li>${id}</li></ul></nav>
    <hgroup>
      <h2>${id} ${endpoint.disabled ? html`<mark data-state>disabled</mark>` : html`<ins data-state>enabled</ins>`}</h2>
      <p class="url">${endpoint.url}</p>
    </hgroup>
    ${endpoint.disabledReason ? html`<p>Disabled: ${endpoint.disabledReason}</p>` : null}
    <div role="group">
      ${endpoint.disabled
        ? html`<button onClick=${() => setDisabled(false)} aria-busy=${toggle.busy}>Enable</button>`
        : html`<button class="secondary" onClick=${() => setDisabled(true)} aria-busy=${toggle.busy}>Disable</button>`}
      <a role="button" class="outline" href=${href(['deliveries'], { endpointId: id })}>Deliveries</a>
      <a role="button" class="outline" href=${href(['recover'], { endpointId: id })}>Recover a window</a>
    </div>
    <${ErrorBox} error=${toggle.error} />
    ${flow
      ? html`<p class="flow"><small>Flow: concurrency ${flow.concurrency}, in flight ${flow.inFlight}, queued ${flow.queued}${flow.rate ? `, ${flow.rate}/s` : ''}</small></p>`
      : null}
    <details><summary>Settings (JSON)</summary><pre class="mono">${pretty(settings)}</pre></details>
    <${EndpointEdit} key=${endpoint.updatedAt || endpoint.url} endpoint=${endpoint} path=${path} onSaved=${reload} />
    <${EndpointTest} id=${id} path=${path} disabled=${endpoint.disabled} />
    <${EndpointPreview} path=${path} endpoint=${endpoint} onSaved=${reload} />
    <${EndpointSecret} path=${path} />
  </section>`;
}
