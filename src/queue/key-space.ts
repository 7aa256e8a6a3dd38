import { IMAGE_QUEUE_NAME } from '../job/image-job.js';

/**
 * Every Redis key imgbatch owns, in one place. The prefix is wrapped in a hash tag
 * (`{imgbatch}`) so BullMQ's keys and ours share one Redis Cluster slot, which lets one Lua
 * script touch several of them.
 */
export interface KeySpace {
  /** The BullMQ `prefix` option, e.g. `{imgbatch}`. */
  readonly bullPrefix: string;
  /**
   * Prefix of every limiter key. The limiter's Lua scripts build the keys of its slot indexes
   * under it (src/limiter/lua/includes/limiter-keys.lua); the ones below are those TypeScript reads.
   */
  readonly limiterPrefix: string;
  /** Limiter state of one deployment (hash: tat, cooldownUntil, paused, rateFactor, intervalMs, burstMs, perImage). */
  limiterDeployment(name: string): string;
  /** One group of deployments a worker chooses among (hash: tiers, m:<name> -> tier), beside its slot indexes. */
  limiterGroup(groupId: string): string;
  /** The id of every group registered (set), so a cancel reaches every waiting room. */
  readonly limiterGroups: string;
  /** A group's waiting room (sorted set: job id -> place in line). */
  limiterRoom(groupId: string): string;
  /** When each parked job's place in a group's waiting room lapses (hash: job id -> ms). */
  limiterRoomUntil(groupId: string): string;
  /** Calls of one deployment in the last minute (sorted set by time), for status. */
  limiterCalls(name: string): string;
  /** Calls of one deployment per minute over the last hour (hash: `<minute>` and `<minute>:429` -> count), for the dashboard's chart. */
  limiterCallMinutes(name: string): string;
  /** Slots reserved by delayed jobs (hash: job id -> `deployment|slotMs`). */
  readonly limiterReservations: string;
  /** Per-job bookkeeping that must outlive a worker (hash: calls, rateLimitWaits, `settled:<call id>` markers of calls counted in the spend). */
  jobState(jobId: string): string;
  /** Generated images of a job still to be downloaded from the URL the answer gave (hash: variant -> JSON; expires with the URLs). */
  pendingDownloads(jobId: string): string;
  /**
   * Batches that left a download pending (hash: batch id -> when its downloads' keys may go, epoch
   * ms; expires with the latest): a batch made again after it was pruned reads its jobs' pending
   * downloads, which outlive the batch's hash.
   */
  readonly pendingDownloadBatches: string;
  /** BullMQ's lock of an image job (its value: the token of the worker run holding it; BullMQ's key, read by open-call.lua). */
  imageJobLock(jobId: string): string;
  /** BullMQ's list of the image queue's active jobs (BullMQ's key, read by our scripts). */
  readonly imageQueueActive: string;
  /** Batch header (hash: createdAt, images, jobs, calls, maxCostMicros, spentMicros, reservedMicros). */
  batch(batchId: string): string;
  /** Image key -> outcome status. Image keys and job ids in a batch's hashes and sets are written without `<batchId>/` (src/batch/batch-field.ts). */
  batchOutcomes(batchId: string): string;
  /** Outcome status -> count. */
  batchCounts(batchId: string): string;
  /** Image key -> last error message, for failed and rejected images. */
  batchErrors(batchId: string): string;
  /** Image key -> reason code (OutcomeReason) of its failed, rejected or skipped outcome, beside the message. */
  batchReasons(batchId: string): string;
  /** Job ids the batch holds, to count what an enqueue really added. */
  batchJobs(batchId: string): string;
  /** Image key -> its cost, micro-USD (what the batch has spent, image by image). */
  batchCosts(batchId: string): string;
  /**
   * Job id -> expected cost of its call in flight, micro-USD: budget reservations as earlier
   * versions kept them (and BatchBudget.reserveCost still does). A worker's call keeps its
   * reservation with the open call in the job's state (`openReserved`, src/batch/lua/open-call.lua).
   */
  batchCostReservations(batchId: string): string;
  /** Sorted set of batch ids by creation time. */
  readonly batches: string;
  /** Spend over every batch (hash: spentMicros), kept with each batch's, for metrics. */
  readonly costTotal: string;
  /** Client name -> its spend over all time, micro-USD (hash), beside each batch's; a batch's client is its header's `client`. */
  readonly clientSpend: string;
  /** Client name -> its spend on one UTC day (`YYYY-MM-DD`), micro-USD (hash; expires a week after its last write). */
  clientSpendOn(day: string): string;
  /** Cluster-wide call counters and latency buckets written by every worker (hash: JSON field -> count). */
  readonly metricsCalls: string;
  /** Deployments the workers serve (hash: name -> JSON { model, ratePerMinute }), for metrics. */
  readonly metricsDeployments: string;
  /**
   * Webhook events waiting to be handed to the delivery queue (a stream, written by the same
   * scripts that record outcomes, so an event is never lost between the outcome and its delivery).
   */
  readonly webhookOutbox: string;
  /** Event id -> JSON delivery state of the batch's webhook events (delivered, retrying, failed). */
  batchWebhooks(batchId: string): string;
  /** Set once a schedule run has fully enqueued this batch (string: the run's due time, epoch ms; expires), so a repeat firing adds nothing. */
  scheduleFired(batchId: string): string;
  /** Jobs the producer added that no worker has started, by line (hash: model NUL priority NUL batch -> count; src/queue/unstarted-lines.ts). */
  readonly unstartedLines: string;
  /** The store breaker, shared by every worker (hash: code, message, openedAt, openedBy, failedAt); absent while the store takes writes. */
  readonly storeBreaker: string;
  /** Images paid for and kept in a worker's local spool, not yet in the store (hash: image key -> JSON { holder, spooledAt }). */
  readonly storeSpooled: string;
}

export function createKeySpace(prefix: string): KeySpace {
  const bullPrefix = prefix.startsWith('{') ? prefix : `{${prefix}}`;
  return {
    bullPrefix,
    limiterPrefix: `${bullPrefix}:limiter:`,
    limiterDeployment: (name) => `${bullPrefix}:limiter:deployment:${name}`,
    limiterGroup: (groupId) => `${bullPrefix}:limiter:group:${groupId}`,
    limiterGroups: `${bullPrefix}:limiter:groups`,
    limiterRoom: (groupId) => `${bullPrefix}:limiter:group:${groupId}:room`,
    limiterRoomUntil: (groupId) => `${bullPrefix}:limiter:group:${groupId}:room:until`,
    limiterCalls: (name) => `${bullPrefix}:limiter:calls:${name}`,
    limiterCallMinutes: (name) => `${bullPrefix}:limiter:call-minutes:${name}`,
    limiterReservations: `${bullPrefix}:limiter:reservations`,
    jobState: (jobId) => `${bullPrefix}:job-state:${jobId}`,
    pendingDownloads: (jobId) => `${bullPrefix}:job-downloads:${jobId}`,
    pendingDownloadBatches: `${bullPrefix}:download-batches`,
    imageJobLock: (jobId) => `${bullPrefix}:${IMAGE_QUEUE_NAME}:${jobId}:lock`,
    imageQueueActive: `${bullPrefix}:${IMAGE_QUEUE_NAME}:active`,
    batch: (batchId) => `${bullPrefix}:batch:${batchId}`,
    batchOutcomes: (batchId) => `${bullPrefix}:batch:${batchId}:outcomes`,
    batchCounts: (batchId) => `${bullPrefix}:batch:${batchId}:counts`,
    batchErrors: (batchId) => `${bullPrefix}:batch:${batchId}:errors`,
    batchReasons: (batchId) => `${bullPrefix}:batch:${batchId}:reasons`,
    batchJobs: (batchId) => `${bullPrefix}:batch:${batchId}:jobs`,
    batchCosts: (batchId) => `${bullPrefix}:batch:${batchId}:costs`,
    batchCostReservations: (batchId) => `${bullPrefix}:batch:${batchId}:cost-reservations`,
    batches: `${bullPrefix}:batches`,
    costTotal: `${bullPrefix}:cost`,
    clientSpend: `${bullPrefix}:client-spend`,
    clientSpendOn: (day) => `${bullPrefix}:client-spend:${day}`,
    metricsCalls: `${bullPrefix}:metrics:calls`,
    metricsDeployments: `${bullPrefix}:metrics:deployments`,
    webhookOutbox: `${bullPrefix}:webhooks:outbox`,
    batchWebhooks: (batchId) => `${bullPrefix}:batch:${batchId}:webhooks`,
    scheduleFired: (batchId) => `${bullPrefix}:schedules:fired:${batchId}`,
    unstartedLines: `${bullPrefix}:unstarted-lines`,
    storeBreaker: `${bullPrefix}:store:breaker`,
    storeSpooled: `${bullPrefix}:store:spooled`,
  };
}
