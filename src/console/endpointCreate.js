import { useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { EventTypePicker } from './eventTypePicker.js';
import { JsonField, parseJsonObject } from './jsonField.js';
import { href } from './route.js';

const EMPTY = { id: '', url: '', description: '', eventTypes: undefined, more: '' };

/** POST /v1/endpoints; the secret is shown once, as the API answers it only here and on demand. */
export function EndpointCreate({ onCreated }) {
  const [form, setForm] = useState(EMPTY);
  const [localError, setLocalError] = useState();
  const create = useAction((body) => api('POST', '/v1/endpoints', body));
  const set = (field) => (value) => setForm({ ...form, [field]: value });

  const submit = async (e) => {
    e.preventDefault();
    const more = parseJsonObject(form.more, 'Other settings');
    setLocalError(more.error);
    if (more.error) return;
    const body = { ...more.value, url: form.url };
    if (form.id) body.id = form.id;
    if (form.description) body.description = form.description;
    if (form.eventTypes) body.eventTypes = form.eventTypes;
    const created = await create.act(body);
    if (created) {
      setForm(EMPTY);
      onCreated();
    }
  };

  return html`<details class="create-endpoint" open=${create.result ? true : undefined}>
    <summary role="button" class="secondary">New endpoint</summary>
    <form onSubmit=${submit} aria-label="New endpoint">
      <div class="grid">
        <label>URL <input name="url" type="url" required placeholder="https://crm.example.com/hooks" value=${form.url} onInput=${(e) => set('url')(e.currentTarget.value)} /></label>
        <label>Id <small>(optional slug)</small> <input name="id" value=${form.id} onInput=${(e) => set('id')(e.currentTarget.value)} /></label>
      </div>
      <label>Description <input name="description" value=${form.description} onInput=${(e) => set('description')(e.currentTarget.value)} /></label>
      <${EventTypePicker} value=${form.eventTypes} onChange=${set('eventTypes')} />
      <${JsonField} label="Other settings (JSON)" name="more" value=${form.more} onInput=${set('more')}
        hint='Any other field of POST /v1/endpoints, e.g. {"retry": {"maxAttempts": 3}, "transform": {"jsonata": "…"}}' />
      <button type="submit" aria-busy=${create.busy}>Create endpoint</button>
    </form>
    <${ErrorBox} error=${localError || create.error} />
    ${create.result
      ? html`<article class="created" role="status">
          Created <a href=${href(['endpoints', create.result.id])}>${create.result.id}</a>. Its signing secret (shown here once; read it again from the endpoint's page):
          <pre class="secret">${create.result.secret}</pre>
        </article>`
      : null}
  </details>`;
}
