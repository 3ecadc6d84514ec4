import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, onUnauthorized } from './api.js';
import { Login } from './login.js';
import { Shell } from './shell.js';
import { nextPage } from './next.js';

/** The session gate: the login form until GET /v1/session answers who is logged in. */
export function App() {
  // undefined: still asking; null: nobody.
  const [session, setSession] = useState(undefined);
  useEffect(() => {
    api('GET', '/v1/session', undefined, { tenantHeader: false }).then(setSession, () => setSession(null));
    return onUnauthorized(() => setSession(null));
  }, []);

  if (session === undefined) return html`<main class="container"><p aria-busy="true">Loading…</p></main>`;
  // Only right after logging in: a session that the next page refuses would send the browser back here.
  const loggedIn = (s) => {
    const next = nextPage();
    if (next) location.assign(next);
    else setSession(s);
  };
  if (!session) return html`<${Login} onLogin=${loggedIn} next=${nextPage()} />`;
  return html`<${Shell} session=${session} onLogout=${() => setSession(null)} />`;
}
