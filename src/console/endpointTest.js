import { useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { useCatalog } from './catalogData.js';
import { href } from './route.js';

/** POST /v1/endpoints/:id/test: one signed attempt of a catalog example, marked "test": true. */
export function EndpointTest({ id, path, disabled }) {
  const { types } = useCatalog();
  const [type, setType] = useState('endpoint_test');
  const send = useAction(() => api('POST', `${path}/test`, { type }));
  const r = send.result;
  return html`<details class="test-send" open>
    <summary>Send a test event</summary>
    <form onSubmit=${(e) => { e.preventDefault(); send.act(); }} aria-label="Send a test event">
      <label>Event type
        <select name="testType" value=${type} onChange=${(e) => setType(e.currentTarget.value)}>
          ${types.map((t) => html`<option value=${t.type}>${t.type}</option>`)}
        </select>
      </label>
      <button type="submit" aria-busy=${send.busy} disabled=${disabled}>Send test</button>
      ${disabled ? html`<small>Enable the endpoint to test it.</small>` : null}
    </form>
    <${ErrorBox} error=${send.error} />
    ${r
      ? html`<article class=${`test-result ${r.delivered ? 'ok' : 'failed'}`} role="status">
          <strong>${r.delivered ? 'Delivered' : 'Not delivered'}</strong>
          ${r.statusCode !== undefined ? html` · HTTP ${r.statusCode}` : null}
          ${r.error ? html` · ${r.error}` : null}
          <p><small>Event <code>${r.eventId}</code> · <a href=${href(['deliveries'], { endpointId: id })}>see it in the deliveries</a></small></p>
        </article>`
      : null}
  </details>`;
}
