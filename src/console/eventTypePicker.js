import { html } from './html.js';
import { useCatalog } from './catalogData.js';

/** Checkboxes of the catalog's types; none checked means every type. */
export function EventTypePicker({ value, onChange }) {
  const { types } = useCatalog();
  const chosen = new Set(value || []);
  const toggle = (type, on) => {
    const next = types.map((t) => t.type).filter((t) => (t === type ? on : chosen.has(t)));
    onChange(next.length ? next : undefined);
  };
  return html`<fieldset class="event-types">
    <legend>Event types <small>(none checked: every type)</small></legend>
    ${types.map(
      (t) => html`<label><input type="checkbox" name="eventType" value=${t.type} checked=${chosen.has(t.type)}
        onChange=${(e) => toggle(t.type, e.currentTarget.checked)} />${t.type}</label>`,
    )}
  </fieldset>`;
}
