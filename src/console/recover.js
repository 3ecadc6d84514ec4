import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { useAction, useApi } from './useApi.js';
import { ErrorBox } from './errorBox.js';
import { RESENDABLE_STATUSES } from './enums.js';
import { isoFromLocal, localFromIso } from './format.js';
import { JobProgress } from './jobProgress.js';

const DEFAULT_STATUSES = ['awaiting_review', 'expired'];

/** POST /v1/endpoints/:id/recover for a window, then the job's progress, live. */
export function Recover({ params }) {
  const { data: endpoints, error: listError } = useApi('/v1/endpoints');
  const [f, setF] = useState({
    endpointId: params.endpointId || '',
    since: localFromIso(new Date(Date.now() - 3600_000).toISOString()),
    until: '',
    statuses: DEFAULT_STATUSES,
  });
  const [jobId, setJobId] = useState();
  const start = useAction((body) => api('POST', `/v1/endpoints/${encodeURIComponent(f.endpointId)}/recover`, body));
  useEffect(() => {
    if (!f.endpointId && endpoints && endpoints.data.length) setF((x) => ({ ...x, endpointId: endpoints.data[0].id }));
  }, [endpoints]);
  const set = (field) => (e) => setF({ ...f, [field]: e.currentTarget.value });
  const toggle = (status, on) => setF({ ...f, statuses: RESENDABLE_STATUSES.filter((s) => (s === status ? on : f.statuses.includes(s))) });

  const submit = async (e) => {
    e.preventDefault();
    setJobId(undefined);
    const body = { since: isoFromLocal(f.since), statuses: f.statuses };
    if (f.until) body.until = isoFromLocal(f.until);
    const started = await start.act(body);
    if (started) setJobId(started.jobId);
  };

  return html`<section>
    <hgroup><h2>Recover a window</h2><p>Resend every delivery of an endpoint in these statuses that arrived in the window, at a bounded rate.</p></hgroup>
    <${ErrorBox} error=${listError} />
    <form onSubmit=${submit} aria-label="Recover">
      <label>Endpoint
        <select name="endpointId" value=${f.endpointId} onChange=${set('endpointId')} required>
          ${(endpoints ? endpoints.data : []).map((ep) => html`<option value=${ep.id}>${ep.id} — ${ep.url}</option>`)}
        </select>
      </label>
      <div class="grid">
        <label>Since <input name="since" type="datetime-local" required value=${f.since} onInput=${set('since')} /></label>
        <label>Until <small>(empty: now)</small> <input name="until" type="datetime-local" value=${f.until} onInput=${set('until')} /></label>
      </div>
      <fieldset class="statuses">
        <legend>Statuses</legend>
        ${RESENDABLE_STATUSES.map(
          (s) => html`<label><input type="checkbox" name="status" value=${s} checked=${f.statuses.includes(s)} onChange=${(e) => toggle(s, e.currentTarget.checked)} />${s}</label>`,
        )}
      </fieldset>
      <button type="submit" aria-busy=${start.busy} disabled=${!f.endpointId || f.statuses.length === 0}>Start recovery</button>
    </form>
    <${ErrorBox} error=${start.error} />
    ${jobId ? html`<${JobProgress} jobId=${jobId} />` : null}
  </section>`;
}
