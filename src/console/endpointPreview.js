import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { useCatalog } from './catalogData.js';
import { pretty } from './format.js';

/**
 * POST /v1/endpoints/:id/preview: what the endpoint would receive (scope, transform, headers);
 * nothing is sent. The endpoint's transform can be changed here (PATCH) and previewed at once.
 */
export function EndpointPreview({ path, endpoint, onSaved }) {
  const { types } = useCatalog();
  const [type, setType] = useState('call_completed');
  const [data, setData] = useState('');
  const [localError, setLocalError] = useState();
  const preview = useAction((body) => api('POST', `${path}/preview`, body));
  const [expression, setExpression] = useState(endpoint.transform ? endpoint.transform.jsonata : '');
  const saveTransform = useAction(() => api('PATCH', path, { transform: expression.trim() ? { jsonata: expression } : null }));
  const save = async () => {
    if (await saveTransform.act()) onSaved();
  };
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
      <label>Transform <small>(JSONata on the scoped body; empty: the body as it is; see the transforms docs)</small>
        <textarea name="transform" rows="3" class="mono" spellcheck="false" value=${expression} onInput=${(e) => setExpression(e.currentTarget.value)}></textarea>
        <small>Saving changes what this endpoint receives from now on.</small>
      </label>
      <div role="group">
        <button type="button" class="secondary" onClick=${save} aria-busy=${saveTransform.busy}>Save transform</button>
        <button type="submit" aria-busy=${preview.busy}>Preview</button>
      </div>
    </form>
    <${ErrorBox} error=${saveTransform.error} />
    ${saveTransform.result ? html`<p role="status" class="saved">Transform saved.</p>` : null}
    <${ErrorBox} error=${localError || preview.error} />
    ${r
      ? html`<div class="grid preview-result" role="status">
          <div><h4>Body</h4><pre class="mono">${typeof r.body === 'string' ? r.body : pretty(r.body)}</pre></div>
          <div><h4>Headers</h4><pre class="mono">${pretty(r.headers)}</pre></div>
        </div>`
      : null}
  </details>`;
}
