import { html } from './html.js';
import { api } from './api.js';
import { useAction } from './useApi.js';
import { ErrorBox } from './errorBox.js';

/**
 * The key is read from the field once, sent to POST /v1/session, and the field is cleared: from
 * then on the HttpOnly session cookie authenticates, and no script can read it.
 */
export function Login({ onLogin, next }) {
  const login = useAction((key) => api('POST', '/v1/session', { key }, { tenantHeader: false }));
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const key = form.elements.key.value;
    form.reset();
    const session = await login.act(key);
    if (session) onLogin(session);
  };
  return html`<main class="container narrow">
    <article>
      <header><h1>callback-events</h1><p>Sign in with an API key: a service admin key, or a tenant's admin key.</p>
        ${next ? html`<p class="next">Then on to <code>${next}</code>.</p>` : null}</header>
      <form onSubmit=${submit}>
        <label>API key
          <input type="password" name="key" autocomplete="current-password" required autofocus />
        </label>
        <button type="submit" aria-busy=${login.busy}>Log in</button>
      </form>
      <${ErrorBox} error=${login.error} />
    </article>
  </main>`;
}
