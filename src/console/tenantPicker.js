import { html } from './html.js';
import { currentTenant } from './api.js';
import { useApi } from './useApi.js';
import { ErrorBox } from './errorBox.js';

/** A service key acts for any tenant: the one picked here is sent as X-Tenant-Id on every call. */
export function TenantPicker({ onChange }) {
  const { data, error } = useApi('/v1/tenants');
  if (error) return html`<${ErrorBox} error=${error} />`;
  const tenants = data ? data.data : [];
  return html`<label class="tenant-picker"><span>Tenant</span>
    <select name="tenant" value=${currentTenant()} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">default</option>
      ${tenants.filter((t) => t.id !== 'default').map((t) => html`<option value=${t.id}>${t.name ? `${t.name} (${t.id})` : t.id}</option>`)}
    </select>
  </label>`;
}
