import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { deliveryJob } from '../../workflows';
import { jobProgressQuery, jobWorkflowId, type DeliveryJobInput, type JobProgress } from '../../workflows/contract';
import { newId } from '../domain/ids';
import { deadlineCaller } from './eventGateway';

/** Bulk jobs on an endpoint's deliveries, each a `deliveryJob` workflow named by its job id. */
export function createJobs(client: Client, taskQueue: string) {
  const withDeadline = deadlineCaller(client);
  return {
    async start(input: DeliveryJobInput): Promise<string> {
      const jobId = jobWorkflowId(newId('ep-').slice(3));
      await withDeadline(() =>
        client.workflow.start<typeof deliveryJob>('deliveryJob', {
          taskQueue,
          workflowId: jobId,
          args: [input],
          staticSummary: `${input.kind} deliveries of ${input.endpointId}`,
        }),
      );
      return jobId;
    },
    async progress(jobId: string): Promise<JobProgress | undefined> {
      try {
        return await withDeadline(() => client.workflow.getHandle(jobId).query(jobProgressQuery), undefined, { workerAnswers: true });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}

export type Jobs = ReturnType<typeof createJobs>;
