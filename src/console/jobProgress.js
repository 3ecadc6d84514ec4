import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { ErrorBox } from './errorBox.js';

/** GET /v1/jobs/:id every second until the job completes, as a progress bar. */
export function JobProgress({ jobId }) {
  const [job, setJob] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let live = true;
    let timer;
    const poll = async () => {
      try {
        const next = await api('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
        if (!live) return;
        setJob(next);
        setError(undefined);
        if (next.status === 'completed') return;
      } catch (err) {
        if (!live) return;
        setError(err);
      }
      timer = setTimeout(poll, 1000);
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [jobId]);

  return html`<article class="job" data-job=${jobId} data-status=${job ? job.status : 'starting'} role="status">
    <header>Job <code>${jobId}</code> · ${job ? job.status : 'starting'}</header>
    ${job && job.total > 0 ? html`<progress key="determinate" max=${job.total} value=${job.done}></progress>` : html`<progress key="indeterminate"></progress>`}
    ${job
      ? html`<p class="counts">${job.done} of ${job.total} done${job.failed ? `, ${job.failed} failed` : ''}</p>`
      : null}
    <${ErrorBox} error=${error} />
  </article>`;
}
