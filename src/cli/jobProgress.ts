import { SingleBar, Presets } from 'cli-progress';
import type { z } from 'zod';
import type { jobProgressSchema } from '../api/responseSchemas';
import type { Context } from './context';
import { EXIT } from './exit';

/**
 * Follows a bulk job (recover, an enable's release, a tenant's deletion) until it completes, by
 * polling GET /v1/jobs/:id: a progress bar on a terminal, one plain line per change otherwise
 * (logs, CI, tests). Progress goes to stderr, so stdout keeps only the result (--json stays JSON).
 */

export type JobProgress = z.infer<typeof jobProgressSchema>;

/** What a job acts on, for its progress line: an endpoint's deliveries, or a whole tenant. */
export const subjectOf = (job: JobProgress): string => job.endpointId ?? job.tenantId ?? '';

/** Often enough for a bar to move smoothly, rarely enough not to load the service. */
const POLL_MS = 500;

interface Reporter {
  update(job: JobProgress): void;
  stop(): void;
}

function barReporter(): Reporter {
  const bar = new SingleBar(
    { format: '{kind} {subject} [{bar}] {value}/{total} | failed {failed}', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(job) {
      const payload = { kind: job.kind, subject: subjectOf(job), failed: job.failed };
      // The bar shows how many the job has acted on; each one ends done or failed.
      if (!started) {
        bar.start(job.total, job.done + job.failed, payload);
        started = true;
      } else {
        // The job counts its deliveries as it pages through them: the total may grow.
        bar.setTotal(job.total);
        bar.update(job.done + job.failed, payload);
      }
    },
    stop: () => bar.stop(),
  };
}

function lineReporter(): Reporter {
  let last = '';
  return {
    update(job) {
      const line = `${job.kind} ${subjectOf(job)}: ${job.done}/${job.total} done, ${job.failed} failed (${job.status})`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    stop: () => undefined,
  };
}

export async function followJob(ctx: Context, jobId: string): Promise<JobProgress> {
  const reporter = process.stderr.isTTY ? barReporter() : lineReporter();
  // Ctrl-C stops the following, not the job: give the cursor back and say where the job is.
  const interrupted = () => {
    reporter.stop();
    process.stderr.write(`stopped following ${jobId}; the job runs on (callbacks jobs get ${jobId} --follow)\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', interrupted);
  try {
    for (;;) {
      const job = await ctx.api.request<JobProgress>('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
      reporter.update(job);
      if (job.status === 'completed') return job;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    process.off('SIGINT', interrupted);
    reporter.stop();
  }
}
