import { useState } from 'preact/hooks';
import { html } from './html.js';
import { DELIVERY_STATUSES } from './enums.js';
import { useCatalog } from './catalogData.js';
import { isoFromLocal, localFromIso } from './format.js';

/** The list's filters (status, endpoint, event type, call, time window), as GET /v1/deliveries takes them. */
export function DeliveryFilters({ params, onApply }) {
  const { types } = useCatalog();
  const [f, setF] = useState({
    status: params.status || '',
    endpointId: params.endpointId || '',
    eventType: params.eventType || '',
    callId: params.callId || '',
    since: params.since ? localFromIso(params.since) : '',
    until: params.until ? localFromIso(params.until) : '',
  });
  const set = (field) => (e) => setF({ ...f, [field]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    onApply({ ...f, since: isoFromLocal(f.since), until: isoFromLocal(f.until) });
  };
  return html`<form class="filters" onSubmit=${submit} aria-label="Filters">
    <div class="grid">
      <label>Status
        <select name="status" value=${f.status} onChange=${set('status')}>
          <option value="">any</option>
          ${DELIVERY_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      <label>Endpoint <input name="endpointId" value=${f.endpointId} onInput=${set('endpointId')} /></label>
      <label>Event type
        <select name="eventType" value=${f.eventType} onChange=${set('eventType')}>
          <option value="">any</option>
          ${types.map((t) => html`<option value=${t.type}>${t.type}</option>`)}
        </select>
      </label>
    </div>
    <div class="grid">
      <label>Call id <input name="callId" value=${f.callId} onInput=${set('callId')} /></label>
      <label>Since <input name="since" type="datetime-local" value=${f.since} onInput=${set('since')} /></label>
      <label>Until <input name="until" type="datetime-local" value=${f.until} onInput=${set('until')} /></label>
    </div>
    <button type="submit">Apply filters</button>
  </form>`;
}
