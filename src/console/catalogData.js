import { useEffect, useState } from 'preact/hooks';
import { api, currentTenant } from './api.js';

/** The event catalog (GET /v1/event-types), asked once per tenant and shared by every page. */
const cache = new Map();

export function useCatalog() {
  const tenant = currentTenant();
  const [state, setState] = useState(() => cache.get(tenant) || { types: [], error: undefined });
  useEffect(() => {
    if (cache.has(tenant)) return;
    api('GET', '/v1/event-types').then(
      (body) => {
        const next = { types: body.data, error: undefined };
        cache.set(tenant, next);
        setState(next);
      },
      (error) => setState({ types: [], error }),
    );
  }, [tenant]);
  return state;
}
