import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ImageOutcome } from '../batch/image-outcome.js';
import type { BudgetVerdict } from '../batch/batch-budget.js';
import type { BatchRegistry } from '../batch/batch-registry.js';
import { actualCallCost, type ActualCost } from '../cost/actual-call-cost.js';
import { expectedCallCost, type PricedCall } from '../cost/expected-call-cost.js';
import { formatUsd } from '../cost/format-usd.js';
import type { PriceTable } from '../cost/price-table.js';
import type { WorkerSettings } from '../config/config.js';
import { servesRequest, type DeploymentConfig } from '../config/deployment-config.js';
import type { EditCallInputs } from '../azure/edit-images.js';
import { readImagesResponse } from '../azure/read-images-response.js';
import { classifyError } from '../errors/classify-error.js';
import { ImagesCallError } from '../errors/images-call-error.js';
import type { Decision, FilterDetails } from '../errors/decision.js';
import { checkJobForModel, imageJobSchema, imageKey, imageKeysOf, type ImageJobData } from '../job/image-job.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { lifecycleOf, retiredReason } from '../models/lifecycle-of.js';
import type { FieldIssue } from '../errors/imgbatch-error.js';
import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import type { InputReader } from '../inputs/input-reader.js';
import type { SlotLimiter } from '../limiter/slot-limiter.js';
import { slotCandidateOf } from '../limiter/slot-candidate-lists.js';
import type { Logger } from '../log/logger.js';
import type { ImageRecord } from '../storage/image-record.js';
import type { ResultStore } from '../storage/result-store.js';
import type { StoreGate } from '../storage/store-guard.js';
import { backoffMs } from './backoff.js';
import { callTimeoutOf } from './call-timeout.js';
import { isCallTimeout } from '../errors/is-call-timeout.js';
import { detectImageType } from './image-type.js';
import { loadEditInputs } from './load-edit-inputs.js';
import { downloadAndKeep, IMAGE_URL_LIFETIME_MS, keepPendingDownloads } from './keep-pending-downloads.js';
import type { PendingDownloads } from '../queue/pending-downloads.js';
import type { JobCounters, JobState } from '../queue/job-state.js';

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
  readonly limiter: SlotLimiter;
  readonly batches: BatchRegistry;
  readonly jobState: JobState;
  readonly store: ResultStore;
  /** Store breaker and spool: admits a job only while the store takes writes, and keeps paid results that it cannot take yet. */
  readonly storeGate: StoreGate;
  readonly settings: WorkerSettings;
  /** Prices for budget reservations and the cost in each record. */
  readonly prices: PriceTable;
  /** How much earlier than its slot a delayed job wakes, to be in a worker when the slot comes. */
  readonly wakeEarlyMs: number;
  /** How late after its slot a call may still start; later, the slot is given up. */
  readonly lateToleranceMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

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
  | { readonly kind: 'failed'; readonly message: string };


function describeJobIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(job)'}: ${issue.message}`).join('; ');
}

/** The inputs an edited image was made from, as its record keeps them: what was sent, by hash. */
function recordInputs(data: ImageJobData): Pick<ImageRecord, 'inputs'> {
  if (data.edit === undefined) return {};
  const { images, mask } = data.edit;
  return {
    inputs: {
      images: images.map(({ source, sha256 }) => ({ source, sha256 })),
      ...(mask !== undefined && { mask: { source: mask.source, sha256: mask.sha256 } }),
      ...(data.edit.inputFidelity !== undefined && { inputFidelity: data.edit.inputFidelity }),
    },
  };
}

/**
 * A job of a retired model (queued before its retirement day, or added by another client) is
 * refused before any call: Azure's deployments of it no longer work.
 */
function retirementIssues(deps: ProcessorDeps, data: ImageJobData): FieldIssue[] {
  const model = deps.models.find(data.model);
  if (model === undefined) return [];
  const status = lifecycleOf(model, (deps.now ?? Date.now)());
  return status.kind === 'retired' ? [{ field: 'model', reason: retiredReason(model, status.retiresOn) }] : [];
}

function recordBase(data: ImageJobData, variant: number, deployment: string, counters: JobCounters, latencyMs: number): ImageRecord {
  return {
    key: imageKey(data.batchId, data.requestId, variant),
    batchId: data.batchId,
    requestId: data.requestId,
    variant,
    status: 'stored',
    prompt: data.prompt,
    model: data.model,
    size: data.size,
    quality: data.quality,
    ...(data.style !== undefined && { style: data.style }),
    ...(data.outputFormat !== undefined && { outputFormat: data.outputFormat }),
    deployment,
    latencyMs,
    attempts: counters.calls - counters.freeCalls,
    ...recordInputs(data),
    ...(data.metadata !== undefined && { metadata: data.metadata }),
    ...(data.fingerprint !== undefined && { fingerprint: data.fingerprint }),
    createdAt: new Date().toISOString(),
  };
}

/**
 * Whether a stored image was made for what this job asks. A job that asks something else (its
 * row was edited and enqueued with redoChanged) makes the image again; when either side has no
 * fingerprint (older records, other producers) the stored image is kept, as before fingerprints.
 */
function isSameRequest(existing: Pick<ImageRecord, 'fingerprint'>, data: Pick<ImageJobData, 'fingerprint'>): boolean {
  return existing.fingerprint === undefined || data.fingerprint === undefined || existing.fingerprint === data.fingerprint;
}

function filterRecord(base: ImageRecord, filter: FilterDetails): ImageRecord {
  return {
    ...base,
    status: 'filtered',
    filter: { stage: filter.stage, categories: [...filter.categories], code: filter.code, message: filter.message, ...(filter.revisedPrompt !== undefined && { revisedPrompt: filter.revisedPrompt }) },
    ...(filter.revisedPrompt !== undefined && { revisedPrompt: filter.revisedPrompt }),
  };
}

function withCost(record: ImageRecord, cost: ActualCost): ImageRecord {
  return { ...record, costUsd: cost.perImageUsd, costSource: cost.source };
}

function decodeBase64(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * One image job from start to end: skip what is already stored, take a slot from the shared
 * limiter, call, classify, store. Returns what the queue should do with the job; the BullMQ
 * composition root turns that into completion, a delay or a failure. Every image the job
 * gives up on gets an outcome with its reason, so no batch waits forever for it.
 */
export async function processImageJob(deps: ProcessorDeps, job: { readonly id: string; readonly data: unknown }): Promise<ProcessResult> {
  const { logger } = deps;
  const parsed = imageJobSchema.safeParse(job.data);
  const modelIssues = parsed.success ? [...checkJobForModel(parsed.data, deps.models), ...retirementIssues(deps, parsed.data)] : [];
  if (!parsed.success || modelIssues.length > 0) {
    const problems = parsed.success ? modelIssues.map((issue) => `${issue.field}: ${issue.reason}`).join('; ') : describeJobIssues(parsed.error);
    const message = `invalid job payload: ${problems}`;
    const identity = imageJobIdentitySchema.safeParse(job.data);
    if (identity.success) {
      const keys = imageKeysOf(identity.data);
      await deps.batches.ensureJob(identity.data.batchId, job.id, keys.length);
      for (const key of keys) await deps.batches.recordOutcome(identity.data.batchId, key, 'rejected', message);
    }
    logger.warn({ jobId: job.id }, message);
    return { kind: 'failed', message };
  }
  try {
    return await processValidJob(deps, job.id, parsed.data);
  } catch (error) {
    // An unexpected error (Redis, the store) may leave the call's budget reservation behind,
    // holding budget no call uses; the job's retry reserves again.
    await deps.batches.releaseCost(parsed.data.batchId, job.id).catch(() => undefined);
    throw error;
  }
}

async function processValidJob(deps: ProcessorDeps, jobId: string, data: ImageJobData): Promise<ProcessResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { logger, settings } = deps;
  const job = { id: jobId };
  // Jobs from other BullMQ clients skip our producer; count their images here, once.
  await deps.batches.ensureJob(data.batchId, job.id, data.variants.length);
  const outcomes: Record<string, ImageOutcome> = {};
  const keyOf = (variant: number): string => imageKey(data.batchId, data.requestId, variant);

  async function record(variant: number, outcome: ImageOutcome, message?: string): Promise<void> {
    outcomes[keyOf(variant)] = outcome;
    await deps.batches.recordOutcome(data.batchId, keyOf(variant), outcome, message);
  }
  async function finish(variants: readonly number[], outcome: ImageOutcome, message: string): Promise<ProcessResult> {
    for (const variant of variants) await record(variant, outcome, message);
    return { kind: 'failed', message };
  }

  // Never pay twice: what the store already holds is done, whatever Redis remembers.
  let records: (ImageRecord | null)[];
  try {
    records = await Promise.all(data.variants.map((variant) => deps.store.getRecord(keyOf(variant))));
  } catch (error) {
    // The store cannot be read (an outage): nothing was called yet, so try again later.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'delayed', untilMs: now() + backoffMs(1, settings.backoffBaseMs, settings.backoffMaxMs), reason: `store unreadable: ${message}` };
  }
  const notInStore: number[] = [];
  for (const [index, variant] of data.variants.entries()) {
    const existing = records[index];
    // Its call was counted before the record was written: nothing to settle here.
    if (existing === null || existing === undefined || !isSameRequest(existing, data)) notInStore.push(variant);
    else await record(variant, existing.status);
  }
  // An image paid for and left at a URL that could not be downloaded yet is downloaded, not called for again.
  const downloads = await keepPendingDownloads({ ...deps, now }, job.id, notInStore, data.outputFormat);
  for (const settled of downloads.settled) await record(settled.variant, settled.kind, settled.kind === 'failed' ? settled.message : undefined);
  if (downloads.retry !== undefined) return { kind: 'delayed', untilMs: downloads.retry.untilMs, reason: downloads.retry.reason };
  const pending = notInStore.filter((variant) => outcomes[keyOf(variant)] === undefined);
  const givenUp = downloads.settled.find((settled) => settled.kind === 'failed');
  if (pending.length === 0 && givenUp?.kind === 'failed') return { kind: 'failed', message: givenUp.message };
  if (pending.length === 0) {
    const counters = await deps.jobState.take(job.id);
    return { kind: 'completed', summary: { batchId: data.batchId, requestId: data.requestId, outcomes, calls: counters.calls } };
  }

  // [store-gate: admission] Before any budget, slot or call: no call while the store cannot be
  // written (its breaker is open) or while one of these images, already paid, waits in a spool.
  const admission = await deps.storeGate.admit(pending.map(keyOf));
  if (admission.kind === 'wait') return { kind: 'delayed', untilMs: now() + admission.retryInMs, reason: admission.reason };
  // [/store-gate: admission]

  const waitedMs = now() - data.enqueuedAt;
  if (waitedMs > settings.maxWaitMs) {
    const counters = await deps.jobState.read(job.id);
    const last = counters.lastError === undefined ? '' : `; last error: ${counters.lastError}`;
    return finish(pending, 'failed', `waited ${Math.round(waitedMs / 60_000)} min without finishing, over the ${Math.round(settings.maxWaitMs / 60_000)} min allowed${last}`);
  }
  const candidates = deps.deployments.filter((d) => servesRequest(d, data));
  if (candidates.length === 0) {
    // Another worker (another machine, a newer config) may serve it: not this one's to reject.
    const wanted = data.pool === undefined ? `model ${data.model}` : `model ${data.model} in pool ${data.pool}`;
    logger.warn({ jobId: job.id, model: data.model, pool: data.pool }, `no deployment configured in this worker serves ${wanted}; leaving the job for a worker that has one`);
    return { kind: 'delayed', untilMs: now() + settings.pauseRecheckMs, reason: `no deployment here serves ${wanted}` };
  }

  // An edit's inputs are read and checked here, before any slot or budget is taken: an input
  // gone or changed since enqueue ends its images with the reason, and no call is made. The
  // bytes are kept for the call, so what is sent is what was hashed.
  let editInputs: EditCallInputs | undefined;
  if (data.edit !== undefined) {
    const limits = deps.models.find(data.model)?.edits;
    if (limits === undefined) return finish(pending, 'rejected', `${data.model} cannot edit images`);
    const loaded = await loadEditInputs(deps.inputReader, data.edit, limits);
    if (loaded.kind === 'unavailable') {
      return { kind: 'delayed', untilMs: now() + backoffMs(1, settings.backoffBaseMs, settings.backoffMaxMs), reason: `input not readable now: ${loaded.reason}` };
    }
    if (loaded.kind === 'refused') {
      logger.warn({ jobId: job.id, outcome: loaded.outcome, reason: loaded.reason }, 'edit input refused; no call made');
      return finish(pending, loaded.outcome, loaded.reason);
    }
    editInputs = loaded.inputs;
  }
  const inputImages = editInputs?.images.map(({ widthPx, heightPx }) => ({ widthPx, heightPx }));
  const pricedCall = (images: number): PricedCall => ({
    model: data.model,
    size: data.size,
    quality: data.quality,
    images,
    promptChars: data.prompt.length,
    ...(inputImages !== undefined && { inputImages }),
    ...(data.edit?.inputFidelity !== undefined && { inputFidelity: data.edit.inputFidelity }),
  });
  const expected = expectedCallCost(deps.prices, pricedCall(pending.length));
  const skipForBudget = async (verdict: BudgetVerdict): Promise<ProcessResult> => {
    const message =
      `budget: ${formatUsd(verdict.spentUsd)} spent + ${formatUsd(verdict.inFlightUsd)} in flight + ${formatUsd(expected.usd)} expected for this call ` +
      `would exceed the batch's budget of ${formatUsd(verdict.maxCostUsd ?? 0)}; no call made (imgbatch resume ${data.batchId} --max-cost <usd> makes it)`;
    for (const variant of pending) await record(variant, 'skipped', message);
    const counters = await deps.jobState.take(job.id);
    logger.debug({ jobId: job.id, spentUsd: verdict.spentUsd, maxCostUsd: verdict.maxCostUsd, calls: counters.calls }, 'over budget: skipped without a call');
    // Failed, not completed: failed jobs keep their data (completed ones are removed at once),
    // and `imgbatch resume` retries them from it.
    return { kind: 'failed', message };
  };
  // Checked before taking a slot, so a batch past its budget spends none of the quota other
  // batches could use; the reservation right before the call is what holds.
  const budget = await deps.batches.checkBudget(data.batchId, job.id, expected.usd);
  if (!budget.isWithinBudget) return skipForBudget(budget);

  const slotCandidates = candidates.map(slotCandidateOf);
  let deployment: DeploymentConfig | undefined;
  let counters: JobCounters | undefined;
  for (let tries = 0; deployment === undefined; tries++) {
    const offer = await deps.limiter.acquire(job.id, slotCandidates, pending.length);
    if (offer.kind === 'paused') {
      const reasons = offer.reasons.map((r) => `${r.deployment}: ${r.reason}`).join('; ');
      return { kind: 'delayed', untilMs: now() + settings.pauseRecheckMs, reason: `every deployment for ${data.model} is paused (${reasons})` };
    }
    if (offer.kind === 'reserved') {
      return { kind: 'delayed', untilMs: now() + Math.max(0, offer.waitMs - deps.wakeEarlyMs), reason: `slot on ${offer.deployment} in ${offer.waitMs} ms` };
    }
    const slotAt = now() + offer.waitMs;
    if (offer.waitMs > 0) {
      await sleep(offer.waitMs);
      // While this job slept towards its slot, another may have been told 401 or 429.
      const state = await deps.limiter.checkCallable(offer.deployment);
      if (state.kind === 'paused') {
        return { kind: 'delayed', untilMs: now() + settings.pauseRecheckMs, reason: `deployment ${offer.deployment} paused (${state.reason})` };
      }
      if (state.kind === 'cooling_down') {
        return { kind: 'delayed', untilMs: now() + state.remainingMs, reason: `deployment ${offer.deployment} cooling down after a 429` };
      }
    }
    // Reserved after the wait for the slot, right before the call: a job waiting for its slot
    // holds no share of the budget, and workers racing for the last of it are served one at a
    // time. Refused here, the slot goes unused: the batch is at its end anyway.
    const reservation = await deps.batches.reserveCost(data.batchId, job.id, expected.usd);
    if (!reservation.isWithinBudget) return skipForBudget(reservation);
    // Counted before the call: if this process dies mid-call, the call may still be billed.
    const [counted] = await Promise.all([deps.jobState.countCall(job.id), deps.batches.recordCall(data.batchId)]);
    // A call that starts well after its slot, next to later ones on time, would crowd one of
    // Azure's short windows. Measured after the last Redis round trip: a Redis outage or a busy
    // event loop makes a call late; it gives the slot up and takes the next free one.
    const lateMs = now() - slotAt;
    if (lateMs <= deps.lateToleranceMs) {
      deployment = candidates.find((d) => d.name === offer.deployment);
      if (deployment === undefined) throw new Error(`limiter granted unknown deployment ${offer.deployment}`);
      counters = counted;
    } else {
      await Promise.all([deps.jobState.uncountCall(job.id), deps.batches.uncountCall(data.batchId), deps.batches.releaseCost(data.batchId, job.id)]);
      logger.debug({ jobId: job.id, deployment: offer.deployment, lateMs }, 'slot missed: taking the next one');
      if (tries >= 3) return { kind: 'delayed', untilMs: now(), reason: `missed ${tries + 1} slots in a row (process too busy)` };
    }
  }
  if (counters === undefined) throw new Error('a slot was taken without counting its call');
  const target = deployment;
  const attempt = counters;
  // Names this call in the spend: a job calls again after a crash or a missing image, and each call paid counts.
  const callId = randomUUID();

  const summary = (): ProcessResult => ({
    kind: 'completed',
    summary: { batchId: data.batchId, requestId: data.requestId, outcomes, deployment: target.name, calls: attempt.calls },
  });
  const follow = async (decision: Decision, call: { latencyMs: number; serviceRequestId?: string | undefined }, variants: readonly number[]): Promise<ProcessResult> => {
    // A filtered call has billed what we know of; a call that timed out may have been billed
    // without our knowing and is settled at its expected cost (timedOut); the others give their
    // reservation back.
    if (decision.kind !== 'filtered' && !isCallTimeout(decision)) await deps.batches.releaseCost(data.batchId, job.id);
    switch (decision.kind) {
      case 'filtered': {
        const cost = actualCallCost(deps.prices, pricedCall(variants.length), { kind: 'filtered', stage: decision.filter.stage });
        await deps.batches.settleCost(data.batchId, job.id, { callId, usd: cost.usd, images: variants.map((variant) => ({ imageKey: keyOf(variant), usd: cost.perImageUsd })) });
        for (const variant of variants) {
          const base = withCost(recordBase(data, variant, target.name, attempt, call.latencyMs), cost);
          const withId = call.serviceRequestId === undefined ? base : { ...base, serviceRequestId: call.serviceRequestId };
          await deps.store.putRecord(base.key, filterRecord(withId, decision.filter));
          await record(variant, 'filtered');
        }
        logger.info({ jobId: job.id, stage: decision.filter.stage, categories: decision.filter.categories }, 'content filter refused the image; not retried');
        await deps.jobState.clear(job.id);
        return summary();
      }
      case 'rejected':
        return finish(variants, 'rejected', `request rejected by the service (${decision.code}): ${decision.message}`);
      case 'rate_limited': {
        const after = await deps.jobState.countFreeCall(job.id, 'rate_limited');
        if (after.rateLimitWaits > settings.maxRateLimitWaits) {
          return finish(variants, 'failed', `rate limited ${after.rateLimitWaits} times, more than the ${settings.maxRateLimitWaits} allowed; last: ${decision.message}`);
        }
        const waitMs = decision.retryAfterMs ?? backoffMs(after.rateLimitWaits, 1_000, settings.backoffMaxMs);
        // The job comes back for the deployment's first slot after the wait, not the back of the line.
        const { retryInMs } = await deps.limiter.cooldown(target.name, waitMs, { jobId: job.id, images: variants.length });
        logger.debug({ jobId: job.id, deployment: target.name, waitMs, retryInMs }, '429: waiting as the service asked');
        const untilMs = retryInMs === undefined ? now() + waitMs : now() + Math.max(0, retryInMs - deps.wakeEarlyMs);
        return { kind: 'delayed', untilMs, reason: `429 from ${target.name}, retry in ${retryInMs ?? waitMs} ms` };
      }
      case 'transient': {
        if (isCallTimeout(decision)) return timedOut(variants);
        const attempts = attempt.calls - attempt.freeCalls;
        const message = `${decision.code}: ${decision.message}`;
        await deps.jobState.setLastError(job.id, message);
        if (attempts >= settings.attempts) {
          return finish(variants, 'failed', `failed after ${attempts} attempts; last error: ${message}`);
        }
        const waitMs = backoffMs(attempts, settings.backoffBaseMs, settings.backoffMaxMs);
        logger.debug({ jobId: job.id, attempts, waitMs, error: message }, 'transient error: retrying with backoff');
        return { kind: 'delayed', untilMs: now() + waitMs, reason: `transient error (${message}), attempt ${attempts} of ${settings.attempts}` };
      }
      case 'pause_deployment': {
        await deps.jobState.countFreeCall(job.id, 'paused');
        const reason = `${decision.reason}${decision.status === undefined ? '' : ` (HTTP ${decision.status})`}: ${decision.message}`;
        await deps.limiter.pause(target.name, reason);
        logger.error(
          { deployment: target.name, reason: decision.reason, status: decision.status },
          `deployment ${target.name} paused: ${reason}. Its jobs stay queued. Fix the cause (key, endpoint, deployment name, role), then run: imgbatch deployments resume ${target.name}`,
        );
        return { kind: 'delayed', untilMs: now() + 1_000, reason: `deployment ${target.name} paused` };
      }
    }
  };

  /**
   * A call that timed out: it may have been generated and billed, so it counts against the
   * budget at its expected cost, and it is sent again only `timeoutRetries` times (default
   * once), not `attempts` times. The error names the timeout and the setting behind it.
   */
  async function timedOut(variants: readonly number[]): Promise<ProcessResult> {
    await deps.batches.settleCost(data.batchId, job.id, {
      callId,
      usd: expected.usd,
      images: variants.map((variant) => ({ imageKey: keyOf(variant), usd: expected.perImageUsd })),
      isPossiblyBilled: true,
    });
    const counted = await deps.jobState.countTimeout(job.id);
    const timeout = callTimeoutOf(target, deps.models, settings);
    const message =
      `the call timed out after ${Math.round(timeout.ms / 1000)} s (${timeout.setting}) and may have been billed: ` +
      `${formatUsd(expected.usd)} counted against the budget`;
    await deps.jobState.setLastError(job.id, message);
    if (counted.timeouts > settings.timeoutRetries) {
      const retried = settings.timeoutRetries === 1 ? 'once' : `${settings.timeoutRetries} times`;
      return finish(
        variants,
        'failed',
        `${message}; ${counted.timeouts} calls timed out and worker.timeoutRetries (${settings.timeoutRetries}) allows retrying ${retried}: raise ${timeout.setting} if this model's calls take longer`,
      );
    }
    const attempts = attempt.calls - attempt.freeCalls;
    const waitMs = backoffMs(attempts, settings.backoffBaseMs, settings.backoffMaxMs);
    logger.warn({ jobId: job.id, deployment: target.name, timeoutMs: timeout.ms, timeouts: counted.timeouts }, message);
    return { kind: 'delayed', untilMs: now() + waitMs, reason: `${message}; retry ${counted.timeouts} of ${settings.timeoutRetries}` };
  }

  let result: ImagesCallResult;
  try {
    result = await deps.callImages(target, { ...data, variants: pending }, { clientRequestId: keyOf(pending[0] ?? 0), callNumber: attempt.calls, editInputs });
  } catch (error) {
    const decision = classifyError(error);
    logger.debug({ jobId: job.id, deployment: target.name, outcome: decision.kind, latencyMs: error instanceof ImagesCallError ? error.latencyMs : undefined }, 'images call');
    if (decision.kind === 'rate_limited') await deps.batches.recordRateLimited(data.batchId);
    else await deps.limiter.recordCall(target.name, decision.kind === 'filtered' ? 'ok' : 'error');
    const call = error instanceof ImagesCallError ? { latencyMs: error.latencyMs, serviceRequestId: error.serviceRequestId } : { latencyMs: 0 };
    return follow(decision, call, pending);
  }
  logger.debug({ jobId: job.id, deployment: target.name, outcome: 'ok', latencyMs: result.latencyMs }, 'images call');
  await deps.limiter.recordCall(target.name, 'ok');

  const read = readImagesResponse(result.body);
  if (read.kind === 'decision') return follow(read.decision, result, pending);

  // Settled before storing: the call is paid for whether or not its images can be kept. The
  // whole call counts, also when fewer images came back than were asked for (the service bills
  // the call); each image returned (stored or refused by the output filter) carries its share.
  const cost = actualCallCost(deps.prices, pricedCall(pending.length), { kind: 'answered', usage: read.usage });
  const returned = [...read.images, ...read.filtered].flatMap((item) => {
    const variant = pending[item.index];
    return variant === undefined ? [] : [{ imageKey: keyOf(variant), usd: cost.perImageUsd }];
  });
  await deps.batches.settleCost(data.batchId, job.id, { callId, usd: cost.usd, images: returned });

  // The images are paid for from here on: a failure to fetch or keep one is recorded with its
  // reason (the store already retried), never left without an outcome. An image left at a URL
  // that cannot be downloaded now waits in the job's pending downloads, without a new call.
  let downloadRetry: { untilMs: number; reason: string } | undefined;
  const waitingForDownload: number[] = [];
  let lostDownload: string | undefined;
  const spooled: number[] = []; // [store-gate: keeping] images kept in the spool: their outcome is recorded when they land
  try {
    for (const image of read.images) {
      const variant = pending[image.index];
      if (variant === undefined) continue;
      const base = withCost(recordBase(data, variant, target.name, attempt, result.latencyMs), cost);
      const stored: ImageRecord = {
        ...base,
        ...(image.revisedPrompt !== undefined && { revisedPrompt: image.revisedPrompt }),
        ...(result.serviceRequestId !== undefined && { serviceRequestId: result.serviceRequestId }),
        ...(read.usage !== undefined && { usage: { ...read.usage } }),
      };
      if (image.b64Json === undefined) {
        const download = { url: image.url ?? '', expiresAtMs: now() + IMAGE_URL_LIFETIME_MS, tries: 0, cause: '', record: stored };
        const downloaded = await downloadAndKeep({ ...deps, now }, job.id, variant, download, data.outputFormat);
        if (downloaded.kind === 'waiting') {
          downloadRetry ??= { untilMs: downloaded.retryAtMs, reason: downloaded.reason };
          waitingForDownload.push(variant);
        } else {
          if (downloaded.kind === 'failed') lostDownload = downloaded.message;
          await record(variant, downloaded.kind, downloaded.kind === 'failed' ? downloaded.message : undefined);
        }
        continue;
      }
      const bytes = decodeBase64(image.b64Json);
      const type = detectImageType(bytes, data.outputFormat);
      // [store-gate: keeping]
      const where = await deps.storeGate.keepImage(base.key, { bytes, contentType: type.contentType, extension: type.extension }, stored);
      if (where === 'spooled') spooled.push(variant);
      else await record(variant, 'stored');
      // [/store-gate: keeping]
    }
    for (const item of read.filtered) {
      const variant = pending[item.index];
      if (variant === undefined) continue;
      const base = withCost(recordBase(data, variant, target.name, attempt, result.latencyMs), cost);
      // [store-gate: keeping]
      if ((await deps.storeGate.keepRecord(base.key, filterRecord(base, item.filter))) === 'spooled') spooled.push(variant);
      else await record(variant, 'filtered');
      // [/store-gate: keeping]
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unkept = pending.filter((v) => outcomes[keyOf(v)] === undefined && !spooled.includes(v)); // [store-gate: keeping]
    // [store-gate: keeping] This job ends here and will not come back to see its spooled images
    // land: they are on disk, marked, and written by the spool's flush, so they count as stored now.
    for (const variant of spooled) await record(variant, 'stored');
    logger.error({ jobId: job.id, images: unkept.map(keyOf), error: message }, 'generated (and paid for) images could not be kept');
    return finish(unkept, 'failed', `generated but not kept: ${message}`);
  }

  const missing = pending.filter((v) => outcomes[keyOf(v)] === undefined && !waitingForDownload.includes(v) && !spooled.includes(v));
  if (missing.length > 0) {
    const why = read.unusable.map((u) => u.reason).join('; ') || `${read.images.length + read.filtered.length} of ${pending.length} images came back`;
    return follow({ kind: 'transient', code: 'incomplete_response', message: why, mayHaveBilled: true }, result, missing);
  }
  if (downloadRetry !== undefined) return { kind: 'delayed', untilMs: downloadRetry.untilMs, reason: downloadRetry.reason };
  // [store-gate: keeping] Paid and spooled: the job comes back, finds them in the store once
  // they land (the "already stored?" read records them) and makes no call meanwhile.
  if (spooled.length > 0) {
    return { kind: 'delayed', untilMs: now() + settings.pauseRecheckMs, reason: `${spooled.length} paid image(s) kept in the spool until the store takes writes again` };
  }
  // [/store-gate: keeping]
  if (lostDownload !== undefined) return { kind: 'failed', message: lostDownload };
  await deps.jobState.clear(job.id);
  return summary();
}
