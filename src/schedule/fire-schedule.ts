import type { RedisClient } from '../queue/redis-connection.js';
import { compilePromptTemplate } from '../ingest/prompt-template.js';
import { readCsvRequests } from '../ingest/read-csv-requests.js';
import type { KeySpace } from '../queue/key-space.js';
import type { EnqueueResult, Producer } from '../queue/producer.js';
import { renderBatchName } from './batch-name-template.js';
import type { ScheduleJobData } from './schedule-job.js';

export interface FireScheduleDeps {
  readonly producer: Producer;
  readonly redis: RedisClient;
  readonly keys: KeySpace;
}

export type FireResult =
  | { readonly kind: 'enqueued'; readonly batchId: string; readonly result: EnqueueResult }
  /** This run's batch was enqueued whole before (a repeat firing, or another run with the same name). */
  | { readonly kind: 'already_fired'; readonly batchId: string };

/**
 * One run of a schedule: its requests become a normal batch, named from the template and the
 * time the run was due, through the same producer (and CSV ingest) as every other enqueue.
 * The name is the run's identity: job ids derive from it, so a run fired twice adds nothing,
 * and once a run's batch is fully enqueued it is marked, so a later firing of the same name
 * does not put back jobs someone has since cancelled.
 */
export async function fireSchedule(deps: FireScheduleDeps, schedule: ScheduleJobData, fireAtMs: number): Promise<FireResult> {
  const batchId = renderBatchName(schedule.batch, fireAtMs, schedule.tz, schedule.name);
  if ((await deps.redis.hexists(deps.keys.scheduleFired, batchId)) === 1) return { kind: 'already_fired', batchId };
  // Set before any job exists, so no call of the run escapes the budget.
  if (schedule.maxCostUsd !== undefined) await deps.producer.batches.setMaxCost(batchId, schedule.maxCostUsd);
  const { source } = schedule;
  const result =
    source.kind === 'csv'
      ? await deps.producer.enqueueInputs(
          readCsvRequests(source.path, {
            ...(source.defaultModel !== undefined && { defaultModel: source.defaultModel }),
            ...(source.promptTemplate !== undefined && { promptTemplate: compilePromptTemplate(source.promptTemplate) }),
          }),
          { batchId },
        )
      : await deps.producer.enqueue(source.requests, { batchId });
  await deps.redis.hset(deps.keys.scheduleFired, batchId, Date.now());
  return { kind: 'enqueued', batchId, result };
}
