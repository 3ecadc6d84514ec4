import { html } from './html.js';
import { useApi } from './useApi.js';
import { href } from './route.js';
import { ErrorBox } from './errorBox.js';
import { EndpointCreate } from './endpointCreate.js';

export function Endpoints() {
  const { data, error, loading, reload } = useApi('/v1/endpoints');
  const endpoints = data ? data.data : [];
  return html`<section>
    <hgroup><h2>Endpoints</h2><p>Where this tenant's events are delivered.</p></hgroup>
    <${ErrorBox} error=${error} />
    <table class="striped endpoints" aria-busy=${loading}>
      <thead><tr><th>id</th><th>url</th><th>state</th><th>event types</th><th></th></tr></thead>
      <tbody>
        ${endpoints.map(
          (ep) => html`<tr data-endpoint=${ep.id}>
            <td><a href=${href(['endpoints', ep.id])}>${ep.id}</a></td>
            <td class="url">${ep.url}</td>
            <td>${ep.disabled ? html`<mark title=${ep.disabledReason || ''}>disabled</mark>` : 'enabled'}</td>
            <td>${ep.eventTypes ? ep.eventTypes.join(', ') : 'all'}</td>
            <td><a href=${href(['deliveries'], { endpointId: ep.id })}>deliveries</a></td>
          </tr>`,
        )}
        ${!loading && endpoints.length === 0 ? html`<tr><td colspan="5">No endpoints yet.</td></tr>` : null}
      </tbody>
    </table>
    <${EndpointCreate} onCreated=${reload} />
  </section>`;
}
