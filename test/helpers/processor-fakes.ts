/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports: each answers at once, as a Promise like the real one */
import { createLineGate } from '../../src/worker/line-gate.js';
import type { BudgetVerdict, CallSettlement } from '../../src/batch/batch-budget.js';
import type { ImageOutcome, OutcomeReason } from '../../src/batch/image-outcome.js';
import type { WorkerSettings } from '../../src/config/config.js';
import type { DeploymentConfig } from '../../src/config/deployment-config.js';
import { DEFAULT_PRICE_TABLE } from '../../src/cost/default-price-table.js';
import type { ImageJobData } from '../../src/job/image-job.js';
import type { CallLogEntry, CallResult, LineDecision, LinePlace } from '../../src/limiter/slot-limiter.js';
import { createLogger } from '../../src/log/logger.js';
import { BUILT_IN_CATALOGUE } from '../../src/models/model-catalogue.js';
import type { JobCounters, JobState, OpenCall } from '../../src/queue/job-state.js';
import type { PendingDownload, PendingDownloads } from '../../src/queue/pending-downloads.js';
import type { ImageRecord } from '../../src/storage/image-record.js';
import type { StoreGate } from '../../src/storage/store-guard.js';
import type { CallImages, ProcessorDeps } from '../../src/worker/processor-deps.js';
import type { CallSlots, ImageKeeper, ProcessorBatches } from '../../src/worker/stages/processor-ports.js';

/**
 * In-memory fakes of the processor's own ports (src/worker/stages/processor-ports.ts, JobState),
 * for unit tests of the stages. They keep what they are told, in plain fields a test reads;
 * `failures` makes a method throw the next N times, as Redis does when it answers an error.
 */
export class RedisReplyError extends Error {
  constructor(message = "OOM command not allowed when used memory > 'maxmemory'.") {
    super(message);
    this.name = 'ReplyError';
  }
}

type Failures = Record<string, number>;

function failIfScripted(failures: Failures, method: string): void {
  const left = failures[method] ?? 0;
  if (left > 0) {
    failures[method] = left - 1;
    throw new RedisReplyError();
  }
}

export interface FakeBatches extends ProcessorBatches {
  reserveCost(batchId: string, jobId: string, usd: number): Promise<BudgetVerdict>;
  readonly outcomes: Map<string, { outcome: ImageOutcome; error?: string | undefined; reason?: OutcomeReason | undefined }>;
  readonly settlements: CallSettlement[];
  /** The call-log entry of every try of finishCall, in order (the fake slots' callLogEntry makes them, each with an id of its own). */
  readonly callLogs: CallLogEntry[];
  /** Each call held open while its images were kept (holdCallOpen), in order. */
  readonly holds: Array<{ jobId: string; callId: string; ms: number }>;
  readonly reservations: Map<string, number>;
  /** Calls counted for the batch (openCall minus takeBackCall). */
  calls: number;
  /** What settled calls cost, USD. */
  spentUsd: number;
  maxCostUsd: number | undefined;
  /** What startJob says of the batch's pending downloads (default true: they are read). */
  mayHaveDownloadsLeft: boolean;
  readonly failures: Failures;
}

/**
 * `jobState`: the job state the batches' scripts write too (open-call.lua counts and opens the
 * call there, settle-cost.lua closes it); `now`: Redis's clock, which open calls' deadlines are by.
 */
export function createFakeBatches(jobState: FakeJobState = createFakeJobState(), now: () => number = () => 0): FakeBatches {
  const settled = new Set<string>();
  const verdict = (jobId: string, usd: number, batches: FakeBatches): BudgetVerdict => {
    const others = [...batches.reservations].filter(([id]) => id !== jobId).reduce((sum, [, v]) => sum + v, 0);
    const isWithinBudget = batches.maxCostUsd === undefined || batches.spentUsd + others + usd <= batches.maxCostUsd;
    return { isWithinBudget, spentUsd: batches.spentUsd, inFlightUsd: others, maxCostUsd: batches.maxCostUsd };
  };
  /** What settle-cost.lua does: the reservation dropped, the call closed, its cost counted once. */
  const settle = (jobId: string, call: CallSettlement): void => {
    batches.reservations.delete(jobId);
    jobState.closeCall(jobId, call.callId);
    if (settled.has(call.callId)) return;
    settled.add(call.callId);
    batches.settlements.push(call);
    batches.spentUsd += call.usd;
  };
  const batches: FakeBatches = {
    outcomes: new Map(),
    settlements: [],
    callLogs: [],
    holds: [],
    reservations: new Map(),
    calls: 0,
    spentUsd: 0,
    maxCostUsd: undefined,
    mayHaveDownloadsLeft: true,
    failures: {},
    async ensureJob() {},
    async startJob(_batchId, jobId) {
      const counters = await jobState.read(jobId);
      const untilMs = counters.openCall?.untilMs;
      const reservedUsd = [...batches.reservations.values()].reduce((sum, usd) => sum + usd, 0);
      const budget = { maxCostUsd: batches.maxCostUsd, spentUsd: batches.spentUsd, reservedUsd };
      return { counters, openCallLeftMs: untilMs === undefined ? undefined : Math.max(0, untilMs - now()), budget, mayHaveDownloadsLeft: batches.mayHaveDownloadsLeft };
    },
    async recordOutcome(_batchId, imageKey, outcome, error, reason) {
      failIfScripted(batches.failures, 'recordOutcome');
      batches.outcomes.set(imageKey, { outcome, error, reason });
    },
    async recordLastOutcome(_batchId, jobId, imageKey, outcome) {
      failIfScripted(batches.failures, 'recordOutcome');
      batches.outcomes.set(imageKey, { outcome, error: undefined, reason: undefined });
      jobState.states.delete(jobId);
    },
    async finishCall(_batchId, jobId, call, imageKey, outcome, callLog) {
      // Every try, also one told to fail: what each try carried.
      batches.callLogs.push(callLog);
      // finish-call.lua is one script: it fails whole when any part is told to fail.
      failIfScripted(batches.failures, 'settleCost');
      failIfScripted(batches.failures, 'recordOutcome');
      settle(jobId, call);
      batches.outcomes.set(imageKey, { outcome, error: undefined, reason: undefined });
      jobState.states.delete(jobId);
    },
    async outcomeOf(_batchId, imageKey) {
      return batches.outcomes.get(imageKey)?.outcome;
    },
    async reserveCost(_batchId, jobId, usd) {
      const result = verdict(jobId, usd, batches);
      if (result.isWithinBudget) batches.reservations.set(jobId, usd);
      else batches.reservations.delete(jobId);
      return result;
    },
    async openCall(batchId, jobId, call) {
      const open = (await jobState.read(jobId)).openCall;
      if (open !== undefined) return { kind: 'in_flight', leftMs: Math.max(0, (open.untilMs ?? 0) - now()) };
      const reservation = await batches.reserveCost(batchId, jobId, call.usd);
      if (!reservation.isWithinBudget) return { kind: 'over_budget', verdict: reservation };
      batches.calls++;
      const untilMs = now() + call.timeoutMs;
      const { calls } = jobState.leaveOpenCall(jobId, { callId: call.callId, usd: call.usd, images: call.images, untilMs });
      return { kind: 'opened', calls, untilMs };
    },
    async holdCallOpen(jobId, callId, ms) {
      batches.holds.push({ jobId, callId, ms });
      return jobState.holdOpenCall(jobId, callId, now() + ms);
    },
    async settleCost(_batchId, jobId, call) {
      failIfScripted(batches.failures, 'settleCost');
      settle(jobId, call);
    },
    async releaseCost(_batchId, jobId) {
      batches.reservations.delete(jobId);
    },
    async takeBackCall(_batchId, jobId, callId) {
      if (!jobState.takeBack(jobId, callId)) return false;
      batches.calls--;
      batches.reservations.delete(jobId);
      return true;
    },
    async recordRateLimited() {},
  };
  return batches;
}

export interface FakeJobState extends JobState {
  readonly states: Map<string, JobCounters>;
  /** Counts a call and leaves it open, as open-call.lua does (a test's call of a worker that stopped mid-call). */
  leaveOpenCall(jobId: string, open: OpenCall): JobCounters;
  /** Closes the job's open call if it is `callId`, as settle-cost.lua does. */
  closeCall(jobId: string, callId: string): void;
  /** Takes the open call back if it is `callId` (uncounted, closed), as take-back-call.lua does; false when it is not. */
  takeBack(jobId: string, callId: string): boolean;
  /** Moves the open call's deadline to `untilMs` if it is `callId` and that is later, as hold-open-call.lua does. */
  holdOpenCall(jobId: string, callId: string, untilMs: number): boolean;
}

export function createFakeJobState(): FakeJobState {
  const states = new Map<string, JobCounters>();
  const get = (jobId: string): JobCounters => states.get(jobId) ?? { calls: 0, freeCalls: 0, rateLimitWaits: 0, timeouts: 0, lastError: undefined };
  const change = (jobId: string, fields: Partial<JobCounters>): JobCounters => {
    const next = { ...get(jobId), ...fields };
    states.set(jobId, next);
    return next;
  };
  return {
    states,
    leaveOpenCall(jobId, open) {
      return change(jobId, { calls: get(jobId).calls + 1, openCall: open });
    },
    closeCall(jobId, callId) {
      if (states.get(jobId)?.openCall?.callId === callId) change(jobId, { openCall: undefined });
    },
    holdOpenCall(jobId, callId, untilMs) {
      const open = states.get(jobId)?.openCall;
      if (open?.callId !== callId) return false;
      if (untilMs > (open.untilMs ?? 0)) change(jobId, { openCall: { ...open, untilMs } });
      return true;
    },
    takeBack(jobId, callId) {
      if (states.get(jobId)?.openCall?.callId !== callId) return false;
      change(jobId, { calls: get(jobId).calls - 1, openCall: undefined });
      return true;
    },
    async countFreeCall(jobId, kind) {
      const now = get(jobId);
      return change(jobId, { freeCalls: now.freeCalls + 1, rateLimitWaits: now.rateLimitWaits + (kind === 'rate_limited' ? 1 : 0) });
    },
    async countTimeout(jobId) {
      return change(jobId, { timeouts: get(jobId).timeouts + 1 });
    },
    async setLastError(jobId, message) {
      change(jobId, { lastError: message });
    },
    async read(jobId) {
      return get(jobId);
    },
    async clear(jobId) {
      states.delete(jobId);
    },
    async forget(jobId) {
      states.delete(jobId);
    },
    async take(jobId) {
      const counters = get(jobId);
      states.delete(jobId);
      return counters;
    },
  };
}

export interface FakeSlots extends CallSlots {
  /** What `acquireInLine` answers, first to last; when empty, `go` now on the first candidate. */
  readonly offers: LineDecision[];
  /** The place in line of every `acquireInLine`, in order. */
  readonly asks: LinePlace[];
  readonly cooldowns: Array<{ deployment: string; waitMs: number }>;
  readonly paused: Map<string, string>;
  /** Each call written in a call log by recordCall (not those finishCall wrote), in order. */
  readonly logged: Array<{ deployment: string; result: CallResult }>;
}

export function createFakeSlots(): FakeSlots {
  let entries = 0;
  const slots: FakeSlots = {
    offers: [],
    asks: [],
    cooldowns: [],
    paused: new Map(),
    logged: [],
    async acquireInLine(_jobId, candidates, place) {
      slots.asks.push(place);
      return slots.offers.shift() ?? { kind: 'go', deployment: candidates[0]?.name ?? '', waitMs: 0, slotAtMs: 0 };
    },
    async cooldown(deployment, waitMs) {
      slots.cooldowns.push({ deployment, waitMs });
      return { cooldownUntil: waitMs, rateFactor: 1, retryInMs: undefined };
    },
    async recordCall(deployment, result) {
      slots.logged.push({ deployment, result });
    },
    callLogEntry(deployment, result) {
      entries++;
      return { keys: [`limiter:${deployment}`, `calls:${deployment}`, `minutes:${deployment}`], args: [result, 0.05, `entry-${entries}`] };
    },
    async pause(deployment, reason) {
      slots.paused.set(deployment, reason);
    },
  };
  return slots;
}

export interface FakeStore extends ImageKeeper {
  readonly records: Map<string, ImageRecord>;
  readonly images: Map<string, Uint8Array>;
  /** Reads throw while true (a store outage). */
  isUnreadable: boolean;
}

export function createFakeStore(): FakeStore {
  const store: FakeStore = {
    records: new Map(),
    images: new Map(),
    isUnreadable: false,
    async getRecord(key) {
      if (store.isUnreadable) throw new Error('connect ECONNREFUSED 127.0.0.1:10000');
      return store.records.get(key) ?? null;
    },
    async putImage(key, image, record) {
      store.images.set(key, image.bytes);
      store.records.set(key, record);
      return record;
    },
    async putRecord(key, record) {
      store.records.set(key, record);
      return record;
    },
  };
  return store;
}

/** The store gate of a store that takes every write: each job is admitted, each result stored. */
export function createOpenStoreGate(store: Pick<ImageKeeper, 'putImage' | 'putRecord'>): StoreGate {
  return {
    admit: async () => ({ kind: 'call' }),
    keepImage: async (key, image, record) => {
      await store.putImage(key, image, record);
      return 'stored';
    },
    keepRecord: async (key, record) => {
      await store.putRecord(key, record);
      return 'stored';
    },
  };
}

export interface FakePendingDownloads extends PendingDownloads {
  /** Job id -> variant -> the download kept for a later try. */
  readonly kept: Map<string, Map<number, PendingDownload>>;
}

export function createFakePendingDownloads(): FakePendingDownloads {
  const kept = new Map<string, Map<number, PendingDownload>>();
  return {
    kept,
    async keep(jobId, variant, download) {
      const forJob = kept.get(jobId) ?? new Map<number, PendingDownload>();
      forJob.set(variant, download);
      kept.set(jobId, forJob);
    },
    read: async (jobId) => new Map(kept.get(jobId) ?? []),
    async drop(jobId, variant) {
      kept.get(jobId)?.delete(variant);
    },
    async forget(jobId) {
      kept.delete(jobId);
    },
  };
}

/** A PNG's signature: enough bytes for the worker to know the format. */
export const PNG_BYTES = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An Azure images answer with one image per variant asked for, and token usage. */
export function imagesAnswer(images: number): unknown {
  return {
    created: 1,
    data: Array.from({ length: images }, () => ({ b64_json: Buffer.from(PNG_BYTES).toString('base64') })),
    usage: { input_tokens: 4, output_tokens: 272, total_tokens: 276, input_tokens_details: { text_tokens: 4, image_tokens: 0 } },
  };
}

export const FAKE_DEPLOYMENT: DeploymentConfig = {
  name: 'east',
  endpoint: 'https://east.example.openai.azure.com/',
  deployment: 'gpt-image-1',
  model: 'gpt-image-1',
  ratePerMinute: 60,
  apiVersion: '2025-04-01-preview',
  auth: { kind: 'api-key', apiKey: 'test-key' },
  quotaUnit: 'request',
  priority: 1,
  pools: [],
};

export const FAKE_SETTINGS: WorkerSettings = {
  concurrency: 1,
  attempts: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 8_000,
  maxRateLimitWaits: 2,
  pauseRecheckMs: 30_000,
  imagesPerCall: 1,
  timeoutMs: 60_000,
  timeoutRetries: 1,
  maxWaitMs: 3_600_000,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
};

/** A job as the producer enqueues it, at `enqueuedAt` 0 on the fakes' clock. */
export function fakeJob(fields: Partial<ImageJobData> = {}): { id: string; data: ImageJobData } {
  const data: ImageJobData = { v: 1, batchId: 'b', requestId: 'mug', variants: [0], prompt: 'A red mug', model: 'gpt-image-1', size: '1024x1024', quality: 'low', enqueuedAt: 0, ...fields };
  return { id: `${data.batchId}/${data.requestId}/v${data.variants.join('-')}`, data };
}

export interface FakeProcessor {
  readonly deps: ProcessorDeps;
  readonly batches: FakeBatches;
  readonly jobState: FakeJobState;
  readonly limiter: FakeSlots;
  readonly store: FakeStore;
  /** The calls sent, in order. */
  readonly calls: Array<{ deployment: string; variants: readonly number[]; callNumber: number }>;
  /** The fakes' clock, ms; only `sleep` moves it. */
  clockMs: number;
  /** Every `sleep` asked for, ms. */
  readonly sleeps: number[];
}

/**
 * A processor wired to the fakes, its call answered by `answer` (default: one image per
 * variant). No timers: `sleep` moves the fake clock.
 */
export function createFakeProcessor(options: { answer?: CallImages; settings?: Partial<WorkerSettings> } = {}): FakeProcessor {
  const jobState = createFakeJobState();
  // Redis's clock is the fakes' clock: one clock, as when Redis and the workers agree.
  const batches = createFakeBatches(jobState, () => fake.clockMs);
  const limiter = createFakeSlots();
  const store = createFakeStore();
  const calls: FakeProcessor['calls'] = [];
  const answer: CallImages = options.answer ?? (async (_deployment, job) => ({ body: imagesAnswer(job.variants.length), latencyMs: 10 }));
  const fake: FakeProcessor = {
    batches,
    jobState,
    limiter,
    store,
    calls,
    clockMs: 1_000,
    sleeps: [],
    deps: undefined as unknown as ProcessorDeps,
  };
  const deps: ProcessorDeps = {
    deployments: [FAKE_DEPLOYMENT],
    models: BUILT_IN_CATALOGUE,
    callImages: async (deployment, job, callOptions) => {
      calls.push({ deployment: deployment.name, variants: job.variants, callNumber: callOptions.callNumber });
      return answer(deployment, job, callOptions);
    },
    downloadImage: async () => PNG_BYTES,
    pendingDownloads: createFakePendingDownloads(),
    inputReader: {
      read: async () => {
        throw new Error('no inputs in these tests');
      },
    },
    limiter,
    batches,
    jobState,
    store,
    storeGate: createOpenStoreGate(store),
    settings: { ...FAKE_SETTINGS, ...options.settings },
    prices: DEFAULT_PRICE_TABLE,
    wakeEarlyMs: 0,
    lineWait: { inProcessMs: 0, parkGridMs: 1, gateMs: 0 },
    lineGate: createLineGate(),
    // Slots to spare: jobs wait for their turn in the process (queue-backlog.ts).
    backlog: { isSlotWanted: async () => false },
    lateToleranceMs: 50,
    logger: createLogger({ level: 'silent' }),
    now: () => fake.clockMs,
    sleep: async (ms) => {
      fake.sleeps.push(ms);
      fake.clockMs += ms;
    },
  };
  return Object.assign(fake, { deps });
}
