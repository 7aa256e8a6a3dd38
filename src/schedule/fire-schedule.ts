import { dirname, resolve } from 'node:path';
import type { RedisClient } from '../queue/redis-connection.js';
import { compilePromptTemplate } from '../ingest/prompt-template.js';
import { readCsvRequests } from '../ingest/read-csv-requests.js';
import type { KeySpace } from '../queue/key-space.js';
import type { EnqueueResult, Producer } from '../queue/producer.js';
import { renderBatchName } from './batch-name-template.js';
import type { ScheduleJobData } from './schedule-job.js';

/**
 * How long a run's fired mark lasts, seconds. A run can fire again only while its BullMQ job
 * exists (a retry, or a retry from the dashboard; BullMQ refuses a second job of the same id
 * `repeat:<scheduler>:<due ms>`), and sync keeps finished runs 7 days at most (KEEP_RUNS in
 * sync-schedules.ts): 30 days outlives them with a wide margin, while marks of an every-second
 * schedule (86,400 a day) go away on their own instead of growing one hash for ever.
 */
const FIRED_MARK_TTL_S = 30 * 24 * 3600;

export interface FireScheduleDeps {
  readonly producer: Producer;
  readonly redis: RedisClient;
  readonly keys: KeySpace;
}

export type FireResult =
  | { readonly kind: 'enqueued'; readonly batchId: string; readonly result: EnqueueResult }
  /**
   * This run's batch was enqueued whole before: by this run (a repeat firing) when
   * `firedByDueAtMs` is this run's due time, else by an earlier run its template gave the same
   * name (a scheduler synced before sync refused such templates).
   */
  | { readonly kind: 'already_fired'; readonly batchId: string; readonly firedByDueAtMs: number };

/**
 * One run of a schedule: its requests become a normal batch, named from the template and the
 * time the run was due, through the same producer (and CSV ingest) as every other enqueue.
 * The name is the run's identity: job ids derive from it, so a run fired twice adds nothing,
 * and once a run's batch is fully enqueued it is marked, so a later firing of the same name
 * does not put back jobs someone has since cancelled.
 */
export async function fireSchedule(deps: FireScheduleDeps, schedule: ScheduleJobData, fireAtMs: number): Promise<FireResult> {
  const batchId = renderBatchName(schedule.batch, fireAtMs, schedule.tz, schedule.name);
  const firedKey = deps.keys.scheduleFired(batchId);
  const firedBy = await deps.redis.get(firedKey);
  if (firedBy !== null) return { kind: 'already_fired', batchId, firedByDueAtMs: Number(firedBy) };
  const { source } = schedule;
  const enqueueOptions = {
    batchId,
    ...(schedule.maxCostUsd !== undefined && { maxCostUsd: schedule.maxCostUsd }),
    ...(schedule.priority !== undefined && { priority: schedule.priority }),
    ...(schedule.callback !== undefined && { callback: schedule.callback }),
  };
  const result =
    source.kind === 'csv'
      ? await deps.producer.enqueueInputs(
          readCsvRequests(source.path, {
            ...(source.defaultModel !== undefined && { defaultModel: source.defaultModel }),
            ...(source.promptTemplate !== undefined && { promptTemplate: compilePromptTemplate(source.promptTemplate) }),
          }),
          // Input images of edits named by local path are relative to the CSV's folder.
          { ...enqueueOptions, localInputsDir: dirname(resolve(source.path)) },
        )
      : await deps.producer.enqueue(source.requests, enqueueOptions);
  await deps.redis.set(firedKey, String(fireAtMs), 'EX', FIRED_MARK_TTL_S);
  return { kind: 'enqueued', batchId, result };
}
