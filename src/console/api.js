/**
 * Every call the console makes goes through here, to the public API only. The login session's
 * HttpOnly cookie authenticates it (the browser sends it; scripts never see a key), and a service
 * key's chosen tenant rides along as X-Tenant-Id.
 */

let tenant = sessionStorage.getItem('callbacks.tenant') || '';
const unauthorizedListeners = new Set();

/** An answer that is not 2xx, carrying the API's `{ error: { code, message } }` as it came. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = error.details;
  }
}

export const currentTenant = () => tenant;

/** The tenant a service key acts for ('' = the API's default); kept for this tab only. */
export function chooseTenant(id) {
  tenant = id || '';
  if (tenant) sessionStorage.setItem('callbacks.tenant', tenant);
  else sessionStorage.removeItem('callbacks.tenant');
}

/** Called when the session ends (expired, logged out elsewhere): the console shows the login again. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export async function api(method, path, body, { tenantHeader = true } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (tenantHeader && tenant) headers['x-tenant-id'] = tenant;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = data && data.error && data.error.code ? data.error : { code: `http_${res.status}`, message: text || res.statusText };
    if (res.status === 401 && path !== '/v1/session') unauthorizedListeners.forEach((l) => l());
    throw new ApiError(res.status, error);
  }
  return data;
}

/** `?a=1&b=2` from the set values of an object. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
