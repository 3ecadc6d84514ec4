import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { useCatalog } from './catalogData.js';
import { pretty } from './format.js';

/** POST /v1/endpoints/:id/preview: what the endpoint would receive (scope, transform, headers); nothing is sent. */
export function EndpointPreview({ path }) {
  const { types } = useCatalog();
  const [type, setType] = useState('call_completed');
  const [data, setData] = useState('');
  const [localError, setLocalError] = useState();
  const preview = useAction((body) => api('POST', `${path}/preview`, body));
  const example = types.find((t) => t.type === type);
  // Start from the type's catalog example, editable.
  useEffect(() => {
    if (example) setData(pretty(example.example));
  }, [type, example !== undefined]);

  const submit = (e) => {
    e.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch (err) {
      return setLocalError({ code: 'invalid_json', message: `data: ${err.message}` });
    }
    setLocalError(undefined);
    preview.act({ type, data: parsed });
  };
  const r = preview.result;
  return html`<details class="preview">
    <summary>Preview a delivery (transform, scope, headers)</summary>
    <form onSubmit=${submit} aria-label="Preview">
      <label>Event type
        <select name="previewType" value=${type} onChange=${(e) => setType(e.currentTarget.value)}>
          ${types.map((t) => html`<option value=${t.type}>${t.type}</option>`)}
        </select>
      </label>
      <label>data (JSON)
        <textarea name="previewData" rows="10" class="mono" spellcheck="false" value=${data} onInput=${(e) => setData(e.currentTarget.value)}></textarea>
      </label>
      <button type="submit" aria-busy=${preview.busy}>Preview</button>
    </form>
    <${ErrorBox} error=${localError || preview.error} />
    ${r
      ? html`<div class="grid preview-result" role="status">
          <div><h4>Body</h4><pre class="mono">${typeof r.body === 'string' ? r.body : pretty(r.body)}</pre></div>
          <div><h4>Headers</h4><pre class="mono">${pretty(r.headers)}</pre></div>
        </div>`
      : null}
  </details>`;
}
