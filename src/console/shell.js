import { useState } from 'preact/hooks';
import { html } from './html.js';
import { api, chooseTenant, currentTenant } from './api.js';
import { useRoute, href } from './route.js';
import { TenantPicker } from './tenantPicker.js';
import { Endpoints } from './endpoints.js';
import { EndpointDetail } from './endpointDetail.js';
import { Deliveries } from './deliveries.js';
import { DeliveryDetail } from './deliveryDetail.js';
import { Recover } from './recover.js';
import { Catalog } from './catalog.js';

const SECTIONS = [
  ['endpoints', 'Endpoints'],
  ['deliveries', 'Deliveries'],
  ['recover', 'Recover'],
  ['catalog', 'Event catalog'],
];

function Page({ route }) {
  const [section, id] = route.parts;
  if (section === 'endpoints' && id) return html`<${EndpointDetail} id=${id} />`;
  if (section === 'deliveries' && id) return html`<${DeliveryDetail} id=${id} />`;
  if (section === 'deliveries') return html`<${Deliveries} params=${route.params} />`;
  if (section === 'recover') return html`<${Recover} params=${route.params} />`;
  if (section === 'catalog') return html`<${Catalog} />`;
  return html`<${Endpoints} />`;
}

export function Shell({ session, onLogout }) {
  const route = useRoute();
  // A tenant key is its tenant; a service key picks one (remounting the page for it).
  const [tenant, setTenant] = useState(session.service ? currentTenant() : '');
  if (!session.service && currentTenant()) chooseTenant('');
  const pick = (id) => {
    chooseTenant(id);
    setTenant(id);
  };
  const logout = async () => {
    await api('DELETE', '/v1/session', undefined, { tenantHeader: false }).catch(() => undefined);
    chooseTenant('');
    onLogout();
  };
  const actingFor = session.service ? tenant || 'default' : session.tenantId;
  return html`<div>
    <header class="container">
      <nav>
        <ul><li><strong>callback-events</strong></li></ul>
        <ul>
          ${SECTIONS.map(([key, label]) => html`<li><a href=${href([key])} aria-current=${route.parts[0] === key ? 'page' : undefined}>${label}</a></li>`)}
        </ul>
      </nav>
      <div class="session-bar">
        <small class="who">key <code>${session.keyId}</code> · ${session.role} · tenant <code data-tenant>${actingFor}</code></small>
        ${session.service && session.role === 'admin' ? html`<${TenantPicker} onChange=${pick} />` : null}
        <button class="secondary outline" onClick=${logout}>Log out</button>
      </div>
    </header>
    <main class="container">
      ${session.role === 'admin'
        ? html`<${Page} key=${tenant} route=${route} />`
        : html`<article role="alert">This is an ingest key: it may only post events. Log in with an admin key to use the console.</article>`}
    </main>
  </div>`;
}
