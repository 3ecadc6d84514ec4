import { html } from './html.js';

/**
 * A textarea for the settings that have no field of their own (retry, filter, transform, auth,
 * headers…), written as the API takes them; parsed on submit, so a typo is reported, not sent.
 */
export function JsonField({ label, name, value, onInput, hint, rows = 6 }) {
  return html`<label>${label}
    <textarea name=${name} rows=${rows} spellcheck="false" class="mono" value=${value} onInput=${(e) => onInput(e.currentTarget.value)}></textarea>
    ${hint ? html`<small>${hint}</small>` : null}
  </label>`;
}

/** The object in `text` ('' is {}), or an error shaped like the API's. */
export function parseJsonObject(text, what) {
  if (!text.trim()) return { value: {} };
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be a JSON object');
    return { value };
  } catch (err) {
    return { error: { code: 'invalid_json', message: `${what}: ${err.message}` } };
  }
}
