import { Command, Option } from 'commander';
import type { z } from 'zod';
import type { jobStartedSchema } from '../api/responseSchemas';
import { RESENDABLE_STATUSES } from '../../workflows/contract/statuses';
import type { ContextSource } from './context';
import { OutcomeError } from './exit';
import { list, timeFlag } from './input';
import { followJob } from './jobProgress';

/** `callbacks recover ENDPOINT --since …`: resends an endpoint's deliveries in a time window, as a job. */

export function recoverCommand(context: ContextSource): Command {
  return new Command('recover')
    .description('resend an endpoint\'s deliveries of a time window (after an outage), following the job')
    .argument('<endpoint>', 'the endpoint id')
    .requiredOption('--since <time>', 'deliveries of events from this time: ISO 8601 or a span back such as 6h', timeFlag())
    .option('--until <time>', 'up to this time (default: now)', timeFlag())
    .addOption(
      new Option('--statuses <list>', `which deliveries, comma-separated, of: ${RESENDABLE_STATUSES.join(', ')} (default: awaiting_review,expired)`).argParser(list),
    )
    .option('--no-follow', 'print the job id and return at once')
    .action(async (endpoint: string, o: { since: string; until?: string; statuses?: string[]; follow: boolean }) => {
      const ctx = context();
      const body = { since: o.since, ...(o.until ? { until: o.until } : {}), ...(o.statuses ? { statuses: o.statuses } : {}) };
      const { jobId } = await ctx.api.request<z.infer<typeof jobStartedSchema>>('POST', `/v1/endpoints/${encodeURIComponent(endpoint)}/recover`, { body });
      if (!o.follow) return ctx.config.json ? ctx.out.json({ jobId }) : ctx.out.line(`started ${jobId}`);
      const job = await followJob(ctx, jobId);
      if (ctx.config.json) ctx.out.json(job);
      else ctx.out.line(`${jobId}: resent ${job.done} of ${job.total} deliveries of ${endpoint}${job.failed ? `, ${job.failed} failed` : ''}`);
      if (job.failed > 0) throw new OutcomeError('job_failed', `${job.failed} of ${job.total} deliveries of ${endpoint} could not be resent (job ${jobId})`);
    });
}
