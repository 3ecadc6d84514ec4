import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction, useApi } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { href } from './route.js';
import { when } from './format.js';
import { RESENDABLE_STATUSES } from './enums.js';

/** A delivery still on its way is asked again every second, so a resend's outcome shows up by itself. */
const SETTLED = new Set([...RESENDABLE_STATUSES, 'blocked']);

/** One delivery: its status, its attempt log, and resend or discard. */
export function DeliveryDetail({ id }) {
  const path = `/v1/deliveries/${encodeURIComponent(id)}`;
  const { data: d, error, reload } = useApi(path);
  const [url, setUrl] = useState('');
  const resend = useAction(() => api('POST', `${path}/resend`, url ? { url } : {}));
  const discard = useAction(() => api('POST', `${path}/discard`, {}));
  // After an action, the old status may still answer for a moment: watch for 15 s whatever it says.
  const [watchUntil, setWatchUntil] = useState(0);
  useEffect(() => {
    if (!d || (SETTLED.has(d.status) && Date.now() > watchUntil)) return undefined;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [d, watchUntil]);
  const act = async (action) => {
    if (await action.act()) setWatchUntil(Date.now() + 15_000);
  };

  if (error && !d) return html`<section><h2>Delivery</h2><${ErrorBox} error=${error} /></section>`;
  if (!d) return html`<p aria-busy="true">Loading…</p>`;
  return html`<section class="delivery">
    <nav aria-label="breadcrumb"><ul><li><a href=${href(['deliveries'])}>Deliveries</a></li><li><code>${d.id}</code></li></ul></nav>
    <hgroup>
      <h2>Delivery <span class=${`status status-${d.status}`} data-status=${d.status}>${d.status}</span></h2>
      <p>${d.eventType} to <a href=${href(['endpoints', d.endpointId])}>${d.endpointId}</a> · event <code>${d.eventId}</code></p>
    </hgroup>
    ${d.reason ? html`<p class="reason">Reason: ${d.reason}</p>` : null}
    ${d.deliveredAt ? html`<p>Delivered at ${when(d.deliveredAt)}</p>` : null}
    <h3>Attempt log</h3>
    <table class="striped attempts">
      <thead><tr><th>#</th><th>target</th><th>url</th><th>started</th><th>ms</th><th>HTTP</th><th>failure</th><th>answer</th></tr></thead>
      <tbody>
        ${d.attempts.map(
          (a) => html`<tr data-attempt=${a.attempt}>
            <td>${a.attempt}</td><td>${a.target}</td><td class="url">${a.url}</td><td title=${a.startedAt}>${when(a.startedAt)}</td>
            <td>${Math.round(a.durationMs)}</td><td>${a.statusCode ?? ''}</td><td>${a.failure ?? ''}</td>
            <td>${a.responseBody ? html`<code class="answer">${a.responseBody}</code>` : null}</td>
          </tr>`,
        )}
        ${d.attempts.length === 0 ? html`<tr><td colspan="8">No attempt yet.</td></tr>` : null}
      </tbody>
    </table>
    <form onSubmit=${(e) => { e.preventDefault(); act(resend); }} aria-label="Resend">
      <fieldset role="group">
        <input name="resendUrl" type="url" placeholder="Resend to another URL (optional, this resend only)" value=${url} onInput=${(e) => setUrl(e.currentTarget.value)} />
        <button type="submit" aria-busy=${resend.busy}>Resend</button>
      </fieldset>
    </form>
    <button class="secondary outline" onClick=${() => act(discard)} aria-busy=${discard.busy}>Discard</button>
    <${ErrorBox} error=${resend.error || discard.error || error} />
    ${resend.result ? html`<p role="status">Resend accepted (${resend.result.mode}).</p>` : null}
    ${discard.result ? html`<p role="status">Discard accepted.</p>` : null}
  </section>`;
}
