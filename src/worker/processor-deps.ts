import type { EditCallInputs } from '../azure/edit-images.js';
import type { ImageOutcome } from '../batch/image-outcome.js';
import type { WorkerSettings } from '../config/config.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { PriceTable } from '../cost/price-table.js';
import type { InputReader } from '../inputs/input-reader.js';
import type { ImageJobData } from '../job/image-job.js';
import type { Logger } from '../log/logger.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { JobState } from '../queue/job-state.js';
import type { PendingDownloads } from '../queue/pending-downloads.js';
import type { StoreGate } from '../storage/store-guard.js';
import type { CallSlots, ImageKeeper, ProcessorBatches } from './stages/processor-ports.js';
import type { LineGate } from './line-gate.js';
import type { QueueBacklog } from './queue-backlog.js';
import type { LineWait } from './stages/take-slot.js';

/** What one call to the images API returned (HTTP 200). Errors are thrown instead. */
export interface ImagesCallResult {
  readonly body: unknown;
  readonly latencyMs: number;
  readonly serviceRequestId?: string | undefined;
}

/** Sends one images call for the job's variants to a deployment. */
export type CallImages = (
  deployment: DeploymentConfig,
  job: ImageJobData,
  /**
   * `callNumber`: which call of the job this is, 1 for the first (after a crash, counting the
   * dead worker's). `editInputs`: for an edit job, the input bytes read and checked against the
   * job's hashes; the call is then an `/images/edits` call.
   */
  options: { readonly clientRequestId: string; readonly callNumber: number; readonly editInputs?: EditCallInputs | undefined },
) => Promise<ImagesCallResult>;

export interface ProcessorDeps {
  readonly deployments: readonly DeploymentConfig[];
  /** The models jobs are checked against (built-ins plus the config's `models:`). */
  readonly models: ModelCatalogue;
  readonly callImages: CallImages;
  /** One try at an image left at a URL (downloadImage under the fetch rules); throws FetchError. */
  readonly downloadImage: (url: string) => Promise<Uint8Array>;
  /** Images answered as a URL and not downloaded yet, tried again before any new call. */
  readonly pendingDownloads: PendingDownloads;
  /** Reads the input images of edit jobs (store copies, URLs, blobs). */
  readonly inputReader: InputReader;
  readonly limiter: CallSlots;
  readonly batches: ProcessorBatches;
  readonly jobState: JobState;
  readonly store: ImageKeeper;
  /** Store breaker and spool: admits a job only while the store takes writes, and keeps paid results that it cannot take yet. */
  readonly storeGate: StoreGate;
  readonly settings: WorkerSettings;
  /** Prices for budget reservations and the cost in each record. */
  readonly prices: PriceTable;
  /** How much earlier than its slot a delayed job wakes, to be in a worker when the slot comes. */
  readonly wakeEarlyMs: number;
  /** How a job whose turn in the waiting room is not near waits: in the process, or parked (lineWaitOf). */
  readonly lineWait: LineWait;
  /** This process's jobs of one line ask for their turn one after another (line-gate.ts). */
  readonly lineGate: LineGate;
  /** Whether a job waiting in line should give its worker slot up (queue-backlog.ts). */
  readonly backlog: QueueBacklog;
  /** How late after its slot a call may still start; later, the slot is given up. */
  readonly lateToleranceMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** ProcessorDeps as the stages use them: clock and sleep always there. */
export type StageDeps = ProcessorDeps & { readonly now: () => number; readonly sleep: (ms: number) => Promise<void> };

export interface JobSummary {
  readonly batchId: string;
  readonly requestId: string;
  /** Image key -> how it ended. */
  readonly outcomes: Readonly<Record<string, ImageOutcome>>;
  readonly deployment?: string;
  /** Calls this job sent, 429s included. */
  readonly calls: number;
}

export type ProcessResult =
  | { readonly kind: 'completed'; readonly summary: JobSummary }
  /** Put the job back, delayed until `untilMs`; no attempt is spent by the delay itself. */
  | { readonly kind: 'delayed'; readonly untilMs: number; readonly reason: string }
  /** Terminal; outcomes are already recorded. */
  | { readonly kind: 'failed'; readonly message: string }
  /**
   * The job is no longer this run's (its lock expired in a Redis outage; another run may hold
   * it): nothing was called; the queue must leave the job to its holder, or to the stalled check.
   */
  | { readonly kind: 'lost'; readonly reason: string };
