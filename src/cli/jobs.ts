import { Command } from 'commander';
import type { ContextSource } from './context';
import { OutcomeError } from './exit';
import { followJob, subjectOf, type JobProgress } from './jobProgress';
import { fields } from './output';

/** `callbacks jobs get ID [--follow]`: a bulk job started earlier (recover --no-follow, an enable, a deletion). */

export function jobsCommand(context: ContextSource): Command {
  const jobs = new Command('jobs').description('bulk jobs: recover, release, discard, a tenant\'s deletion');

  jobs
    .command('get')
    .description('a job\'s progress; with --follow, until it completes (exit 1 if any item failed)')
    .argument('<id>', 'the job id')
    .option('--follow', 'follow it until it completes')
    .action(async (id: string, o: { follow?: boolean }) => {
      const ctx = context();
      const job = o.follow ? await followJob(ctx, id) : await ctx.api.request<JobProgress>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
      if (ctx.config.json) ctx.out.json(job);
      else {
        ctx.out.line(
          fields([
            ['id', job.id],
            ['kind', job.kind],
            ['of', subjectOf(job)],
            ['status', job.status],
            ['progress', `${job.done}/${job.total} done, ${job.failed} failed`],
          ]),
        );
      }
      if (o.follow && job.failed > 0) throw new OutcomeError('job_failed', `${job.failed} of ${job.total} items failed (job ${id})`);
    });

  return jobs;
}
