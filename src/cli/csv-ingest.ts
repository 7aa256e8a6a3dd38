import { createReadStream } from 'node:fs';
import type { JobPriority } from '../job/job-priority.js';
import { rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ArgsDef } from 'citty';
import type { BatchCallback } from '../batch/batch-registry.js';
import type { StoreConfig } from '../config/config.js';
import { compilePromptTemplate } from '../ingest/prompt-template.js';
import { readCsvRequests, type CsvRequestOptions } from '../ingest/read-csv-requests.js';
import type { InputReader } from '../inputs/input-reader.js';
import { resolveEditInputs } from '../inputs/resolve-edit-inputs.js';
import type { InputCheck } from '../job/check-inputs.js';
import type { ImageRequest } from '../job/image-request.js';
import type { ModelNotice, RejectedRequest, RequestInput } from '../job/prepare-jobs.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { enqueueIntoBatch, type BatchEnqueueDeps, type BatchEnqueueResult } from '../batch/enqueue-into-batch.js';
import { batchIdFromPath } from './batch-name.js';
import { createEnqueueProgressReporter } from './enqueue-progress-reporter.js';
import { formatRejections } from './report-rejections.js';
import { writeRejectsFile } from './write-rejects-file.js';

/** The CSV options `enqueue` and `run` share. */
export const csvIngestArgs = {
  model: { type: 'string', description: 'Model for rows with an empty model cell' },
  prompt: {
    type: 'string',
    description: 'Prompt template filled from each row\'s columns, e.g. "Studio photo of {product} in {color}" ({{ and }} for literal braces); a row with an empty one is refused',
  },
  rejects: { type: 'string', description: 'CSV file for refused rows: row, field, reason, then the row (default <output folder>/<batch>.rejects.csv, written when a row is refused)' },
  strict: { type: 'boolean', description: 'Refuse the whole file, enqueueing nothing, if any row is bad', default: false },
  'dry-run': { type: 'boolean', description: 'Validate the file and count rows, calls and images; enqueue nothing', default: false },
  'redo-changed': {
    type: 'boolean',
    description: 'Rows the batch holds with another prompt, model, size, quality, style, format or input are made again; their previous images are kept in <batch>/previous/ (default: listed and kept as they are, no call)',
    default: false,
  },
} as const satisfies ArgsDef;

export interface CsvIngestPlan {
  readonly csv: string;
  readonly batchId: string;
  readonly read: CsvRequestOptions;
  /** Where refused rows go, and whether the user named the file (then it is always written). */
  readonly rejects: { readonly path: string; readonly isExplicit: boolean };
  readonly isStrict: boolean;
  readonly isDryRun: boolean;
}

/**
 * Reads the shared flags into a plan. The prompt template is compiled here, so a malformed
 * one fails before anything is read or started.
 */
export function planCsvIngest(
  args: { csv: string; batch?: string | undefined; model?: string | undefined; prompt?: string | undefined; rejects?: string | undefined; strict?: boolean; 'dry-run'?: boolean },
  store: StoreConfig,
): CsvIngestPlan {
  const batchId = args.batch ?? batchIdFromPath(args.csv);
  // Beside the batch's image folder when results go to a folder; in the working directory otherwise.
  const outputDir = store.kind === 'fs' ? store.root : '.';
  return {
    csv: args.csv,
    batchId,
    read: {
      ...(args.model !== undefined && { defaultModel: args.model }),
      ...(args.prompt !== undefined && { promptTemplate: compilePromptTemplate(args.prompt) }),
    },
    rejects: args.rejects === undefined ? { path: join(outputDir, `${batchId}.rejects.csv`), isExplicit: false } : { path: args.rejects, isExplicit: true },
    isStrict: args.strict === true,
    isDryRun: args['dry-run'] === true,
  };
}

/**
 * Writes the rejects file when rows were refused (or when the user named it: then a header
 * alone says "nothing refused"); removes a default-named one left by an earlier run of the same
 * batch, so the file beside the output always describes the last run. Returns its path when written.
 */
export async function saveRejects(plan: CsvIngestPlan, rejected: readonly RejectedRequest[]): Promise<string | undefined> {
  if (rejected.length === 0 && !plan.rejects.isExplicit) {
    await rm(plan.rejects.path, { force: true });
    return undefined;
  }
  await writeRejectsFile(plan.rejects.path, rejected);
  return plan.rejects.path;
}

/** Input image paths in a CSV are relative to its folder, and must stay inside it. */
function csvFolder(plan: CsvIngestPlan): string {
  return dirname(resolve(plan.csv));
}

/**
 * The file's rows as an enqueue reads them, for checks that enqueue nothing (dry run, --strict's
 * first pass, estimates). With `reader`, input images of edits are read and checked too (nothing
 * is copied).
 */
export function readCsvFileInputs(plan: CsvIngestPlan, options: { readonly reader?: InputReader; readonly models?: ModelCatalogue }): AsyncIterable<RequestInput> {
  const rows = readCsvRequests(plan.csv, plan.read);
  const { reader } = options;
  return reader === undefined ? rows : resolveEditInputs(rows, { batchId: plan.batchId, reader, localDir: csvFolder(plan), models: options.models });
}

/**
 * Streams the file into the queue. With `progress`, shows how much of the file is read and what
 * reached Redis (a bar on a terminal, plain lines elsewhere).
 */
export async function enqueueCsvFile(
  plan: CsvIngestPlan,
  batch: BatchEnqueueDeps,
  options: {
    readonly checkServed?: ((request: ImageRequest) => string | undefined) | undefined;
    readonly progress?: NodeJS.WriteStream;
    /** The batch's budget, set before its first job (see EnqueueOptions). */
    readonly maxCostUsd?: number | undefined;
    /** `--redo-changed` (see BatchEnqueueOptions). */
    readonly redoChanged?: boolean;
    /** Where the batch's webhook events go, set before its first job (see EnqueueOptions). */
    readonly callback?: BatchCallback | undefined;
    /** `--priority` of the batch's jobs (see EnqueueOptions). */
    readonly priority?: JobPriority | undefined;
  } = {},
): Promise<BatchEnqueueResult> {
  const enqueueOptions = {
    batchId: plan.batchId,
    localInputsDir: csvFolder(plan),
    ...(options.checkServed !== undefined && { checkServed: options.checkServed }),
    ...(options.maxCostUsd !== undefined && { maxCostUsd: options.maxCostUsd }),
    ...(options.redoChanged === true && { redoChanged: true }),
    ...(options.callback !== undefined && { callback: options.callback }),
    ...(options.priority !== undefined && { priority: options.priority }),
  };
  // A file that cannot be stat'ed goes the plain way, so reading it fails with the usual error.
  const sizeBytes = options.progress === undefined ? undefined : await stat(plan.csv).then((s) => s.size, () => undefined);
  if (options.progress === undefined || sizeBytes === undefined) return enqueueIntoBatch(batch, readCsvRequests(plan.csv, plan.read), enqueueOptions);
  const source = createReadStream(plan.csv);
  // If enqueueing fails before the rows are read, nobody pipes this stream; its errors must not go unheard.
  source.on('error', () => undefined);
  const reporter = createEnqueueProgressReporter(options.progress, { batchId: plan.batchId, file: { sizeBytes, bytesRead: () => source.bytesRead } });
  try {
    return await enqueueIntoBatch(batch, readCsvRequests(source, plan.read), { ...enqueueOptions, onProgress: (p) => { reporter.update(p); } });
  } finally {
    reporter.done();
    source.destroy();
  }
}

/** Prints a warning on stderr for each model of the file that Azure retires within 30 days. */
export function reportNotices(notices: readonly ModelNotice[]): void {
  for (const notice of notices) process.stderr.write(`warning: ${notice.message} (${notice.requests} row${notice.requests === 1 ? '' : 's'})\n`);
}

/** Prints every refused row on stderr, then where the rejects file is. */
export function reportRejections(rejected: readonly RejectedRequest[], rejectsFile: string | undefined): void {
  for (const message of formatRejections(rejected)) process.stderr.write(`invalid: ${message}\n`);
  if (rejectsFile !== undefined && rejected.length > 0) process.stderr.write(`refused rows written to ${rejectsFile}\n`);
}

/** The one-line account of a check: `batch b: 10 rows: 9 valid, 1 refused; 12 images in 12 calls`. */
export function describeCheck(batchId: string, check: InputCheck): string {
  return `batch ${batchId}: ${check.inputs} rows: ${check.accepted} valid, ${check.rejected.length} refused; ${check.images} images in ${check.jobs} calls`;
}
