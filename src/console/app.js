import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, onUnauthorized } from './api.js';
import { Login } from './login.js';
import { Shell } from './shell.js';

/** The session gate: the login form until GET /v1/session answers who is logged in. */
export function App() {
  // undefined: still asking; null: nobody.
  const [session, setSession] = useState(undefined);
  useEffect(() => {
    api('GET', '/v1/session', undefined, { tenantHeader: false }).then(setSession, () => setSession(null));
    return onUnauthorized(() => setSession(null));
  }, []);

  if (session === undefined) return html`<main class="container"><p aria-busy="true">Loading…</p></main>`;
  if (!session) return html`<${Login} onLogin=${setSession} />`;
  return html`<${Shell} session=${session} onLogout=${() => setSession(null)} />`;
}
