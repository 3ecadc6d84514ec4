import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { query } from './api.js';
import { useApi } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { href, go } from './route.js';
import { when } from './format.js';
import { DeliveryFilters } from './deliveryFilters.js';

/** GET /v1/deliveries with the filters in the page's URL; newest first, a page at a time. */
export function Deliveries({ params }) {
  const [cursors, setCursors] = useState([]);
  const [live, setLive] = useState(false);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading, reload } = useApi(`/v1/deliveries${query({ ...params, limit: 25, cursor })}`);
  useEffect(() => setCursors([]), [JSON.stringify(params)]);
  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [live, reload]);
  const rows = data ? data.data : [];

  return html`<section>
    <hgroup><h2>Deliveries</h2><p>Newest first. Filters apply to this tenant's deliveries.</p></hgroup>
    <${DeliveryFilters} key=${JSON.stringify(params)} params=${params} onApply=${(next) => go(['deliveries'], next)} />
    <div class="list-actions">
      <button class="outline" onClick=${reload} aria-busy=${loading}>Refresh</button>
      <label><input type="checkbox" role="switch" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} />Refresh every 2 s</label>
    </div>
    <${ErrorBox} error=${error} />
    <table class="striped deliveries">
      <thead><tr><th>delivery</th><th>event type</th><th>endpoint</th><th>status</th><th>attempts</th><th>created</th></tr></thead>
      <tbody>
        ${rows.map(
          (d) => html`<tr data-delivery=${d.id} data-status=${d.status}>
            <td><a href=${href(['deliveries', d.id])}><code>${d.id}</code></a></td>
            <td>${d.eventType}</td>
            <td><a href=${href(['endpoints', d.endpointId])}>${d.endpointId}</a></td>
            <td><span class=${`status status-${d.status}`}>${d.status}</span></td>
            <td>${d.attempts}</td>
            <td title=${d.createdAt}>${when(d.createdAt)}</td>
          </tr>`,
        )}
        ${!loading && rows.length === 0 ? html`<tr><td colspan="6">No deliveries match.</td></tr>` : null}
      </tbody>
    </table>
    <div role="group" class="pager">
      <button class="outline" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
      <button class="outline" disabled=${!data || !data.nextCursor} onClick=${() => setCursors([...cursors, data.nextCursor])}>Older</button>
    </div>
  </section>`;
}
