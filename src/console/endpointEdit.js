import { useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { EventTypePicker } from './eventTypePicker.js';
import { JsonField, parseJsonObject } from './jsonField.js';

/** PATCH /v1/endpoints/:id with the fields that changed; `null` in the JSON clears a setting. */
export function EndpointEdit({ endpoint, path, onSaved }) {
  const [form, setForm] = useState({ url: endpoint.url, description: endpoint.description || '', eventTypes: endpoint.eventTypes, more: '' });
  const [localError, setLocalError] = useState();
  const save = useAction((patch) => api('PATCH', path, patch));
  const set = (field) => (value) => setForm({ ...form, [field]: value });

  const submit = async (e) => {
    e.preventDefault();
    const more = parseJsonObject(form.more, 'Other changes');
    setLocalError(more.error);
    if (more.error) return;
    const patch = { ...more.value };
    if (form.url !== endpoint.url) patch.url = form.url;
    if (form.description !== (endpoint.description || '')) patch.description = form.description || null;
    if (JSON.stringify(form.eventTypes) !== JSON.stringify(endpoint.eventTypes)) patch.eventTypes = form.eventTypes || null;
    if (Object.keys(patch).length === 0) return setLocalError({ code: 'no_change', message: 'Nothing changed.' });
    if (await save.act(patch)) onSaved();
  };

  return html`<details class="edit-endpoint">
    <summary>Edit</summary>
    <form onSubmit=${submit} aria-label="Edit endpoint">
      <label>URL <input name="url" type="url" required value=${form.url} onInput=${(e) => set('url')(e.currentTarget.value)} /></label>
      <label>Description <input name="description" value=${form.description} onInput=${(e) => set('description')(e.currentTarget.value)} /></label>
      <${EventTypePicker} value=${form.eventTypes} onChange=${set('eventTypes')} />
      <${JsonField} label="Other changes (JSON)" name="more" value=${form.more} onInput=${set('more')} rows=${4}
        hint='Any field of PATCH /v1/endpoints/:id, e.g. {"retry": {"maxAttempts": 5}} or {"transform": null}' />
      <button type="submit" aria-busy=${save.busy}>Save</button>
    </form>
    <${ErrorBox} error=${localError || save.error} />
  </details>`;
}
