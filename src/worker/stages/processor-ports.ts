import type { CallOpening, CallSettlement, CallToOpen } from '../../batch/batch-budget.js';
import type { JobStart } from '../../batch/batch-registry.js';
import type { ImageOutcome, OutcomeReason } from '../../batch/image-outcome.js';
import type { SlotCandidate } from '../../limiter/slot-group.js';
import type { CallLogEntry, CallResult, Cooldown, LineDecision, LinePlace, RateLimitedJob } from '../../limiter/slot-limiter.js';
import type { ImageRecord } from '../../storage/image-record.js';
import type { StoredImage } from '../../storage/result-store.js';

/**
 * The processor's own ports: only what its stages call. The real adapters (BatchRegistry,
 * SlotLimiter, ResultStore) satisfy them as they are; unit tests pass in-memory fakes of
 * these, never of Redis or a storage SDK.
 */

/** Where each image's outcome is kept, for batches to count. */
export interface OutcomeBook {
  ensureJob(batchId: string, jobId: string, images: number): Promise<void>;
  /** ensureJob, the job's state (with its open call's time left by Redis's clock) and the batch's budget and spend, one round trip. */
  startJob(batchId: string, jobId: string, images: number, firstStartLine?: string): Promise<JobStart>;
  recordOutcome(batchId: string, imageKey: string, outcome: ImageOutcome, error?: string, reason?: OutcomeReason): Promise<void>;
  /** The last outcome of a job that is done, and its state deleted, in one round trip. */
  recordLastOutcome(batchId: string, jobId: string, imageKey: string, outcome: ImageOutcome): Promise<void>;
  /** The job's call settled (SpendBook.settleCost), written in its call log (CallSlots.callLogEntry) and its one image's last outcome recorded, in one round trip. */
  finishCall(batchId: string, jobId: string, call: CallSettlement, imageKey: string, outcome: ImageOutcome, callLog: CallLogEntry): Promise<void>;
  outcomeOf(batchId: string, imageKey: string): Promise<ImageOutcome | undefined>;
}

/**
 * A batch's money and call counts: budget checks, and each call opened (budget reserved, call
 * counted, open until its deadline: one atomic step, refused while another call of the job is
 * open) and settled (its cost counted, the call closed).
 */
export interface SpendBook {
  openCall(batchId: string, jobId: string, call: CallToOpen): Promise<CallOpening>;
  holdCallOpen(jobId: string, callId: string, ms: number): Promise<boolean>;
  settleCost(batchId: string, jobId: string, call: CallSettlement): Promise<void>;
  releaseCost(batchId: string, jobId: string): Promise<void>;
  takeBackCall(batchId: string, jobId: string, callId: string): Promise<boolean>;
  recordRateLimited(batchId: string): Promise<void>;
}

export type ProcessorBatches = OutcomeBook & SpendBook;

/** The shared call slots of the deployments (a Redis-side limiter in production). */
export interface CallSlots {
  acquireInLine(jobId: string, candidates: readonly SlotCandidate[], place: LinePlace, images?: number): Promise<LineDecision>;
  cooldown(deployment: string, waitMs: number, job?: RateLimitedJob): Promise<Cooldown>;
  recordCall(deployment: string, result: CallResult): Promise<void>;
  /** What recordCall writes, for OutcomeBook.finishCall to write with the job's end. */
  callLogEntry(deployment: string, result: CallResult): CallLogEntry;
  pause(deployment: string, reason: string): Promise<void>;
}

/** Where images and their records are kept: the truth about what is done. */
export interface ImageKeeper {
  getRecord(key: string): Promise<ImageRecord | null>;
  putImage(key: string, image: StoredImage, record: ImageRecord): Promise<ImageRecord>;
  putRecord(key: string, record: ImageRecord): Promise<ImageRecord>;
}
