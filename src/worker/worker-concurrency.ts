import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { expectedLatencyOf } from './call-timeout.js';

const MIN_AUTO_CONCURRENCY = 32;

/**
 * What one call in flight may hold in the process while it waits for its answer: the job's data
 * and lock timer, the SDK's request and the socket's buffers. An allowance, on the generous side
 * of what a waiting call holds; an answer's image (up to tens of MB for a 4K PNG as base64) is
 * held only while it is read and stored, by the few calls that answer at the same moment.
 */
export const BYTES_PER_CALL_IN_FLIGHT = 256 * 1024;
/** The share of the V8 heap limit calls in flight may take; the rest is for everything else. */
const HEAP_SHARE_FOR_CALLS = 0.5;
/** Descriptors kept for everything but the calls' sockets: Redis connections, files, the store. */
const RESERVED_OPEN_FILES = 256;

/** What bounds the calls one process can keep open. */
export interface ProcessCapacity {
  /** V8's heap limit, bytes (`--max-old-space-size`, else Node's default for the machine). */
  readonly heapLimitBytes: number;
  /** The soft limit of open files (each call holds a socket); undefined where it cannot be read. */
  readonly openFilesLimit: number | undefined;
}

function readOpenFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const limit = Number(soft);
    return Number.isFinite(limit) && limit > 0 ? limit : undefined;
  } catch {
    // Not Linux: no cap from descriptors; the memory bound still holds.
    return undefined;
  }
}

/** This process's capacity: its heap limit and (on Linux) its open-files limit. */
export function readProcessCapacity(): ProcessCapacity {
  return { heapLimitBytes: getHeapStatistics().heap_size_limit, openFilesLimit: readOpenFilesLimit() };
}

/**
 * The most calls `auto` keeps in flight in one process: half the heap limit at
 * BYTES_PER_CALL_IN_FLIGHT each, and one socket per call within the open-files limit. Node's
 * default heap limit on a machine with 8 GiB or more is about 4 GiB: 8,192 calls; raise it with
 * `NODE_OPTIONS=--max-old-space-size=…` (and `ulimit -n`) for more.
 */
export function concurrencyCeiling(capacity: ProcessCapacity): number {
  const byMemory = Math.floor((capacity.heapLimitBytes * HEAP_SHARE_FOR_CALLS) / BYTES_PER_CALL_IN_FLIGHT);
  const byFiles = capacity.openFilesLimit === undefined ? Number.POSITIVE_INFINITY : capacity.openFilesLimit - RESERVED_OPEN_FILES;
  return Math.max(MIN_AUTO_CONCURRENCY, Math.min(byMemory, byFiles));
}

type Deployment = Pick<DeploymentConfig, 'ratePerMinute' | 'model' | 'expectedLatencyMs'>;

/**
 * Calls a worker process is expected to keep in flight, as the worker's start line reports it.
 * `auto` applies Little's law per deployment: to start calls at each deployment's quota while
 * each call takes its model's expected latency (the deployment's `expectedLatencyMs`, else the
 * model's: gpt-image-2 171 s, the gpt-image-1 series 60 s), rate × latency calls must be open at
 * once; summed, with 20% spare, up to what the process's memory and open files allow
 * (concurrencyCeiling). At run time `auto` follows the calls really underway (concurrencyNow).
 */
export function workerConcurrency(
  setting: number | 'auto',
  deployments: readonly Deployment[],
  models: ModelCatalogue,
  ceiling: number = concurrencyCeiling(readProcessCapacity()),
): number {
  if (setting !== 'auto') return setting;
  const inFlight = deployments.reduce((sum, d) => sum + (d.ratePerMinute / 60) * (expectedLatencyOf(d, models) / 1000), 0);
  const needed = Math.ceil(inFlight * 1.2);
  return Math.min(ceiling, Math.max(MIN_AUTO_CONCURRENCY, needed));
}

/** The least time of calls ahead a worker takes jobs in for, ms. */
const MIN_ADMISSION_AHEAD_MS = 2_000;

/**
 * With `auto`, how many jobs beyond those whose call has started the process holds at once:
 * enough for twice maxSleepMs (at least 2 s) of the summed quota, plus the longest wait in line
 * a job spends in the process (`lineWaitMs`, line-wait-of.ts), at least 32 jobs. They take
 * their slot, sleep towards it or wait in the limiter's line; a backlog of thousands is taken in
 * this many at a time rather than all at once. Taken in all at once, BullMQ fetches every job
 * before it starts any (a stall of a few seconds at ~1 ms a fetch), and then thousands of jobs
 * reach Redis together while the first calls are due: those leave late, the next ones on time,
 * and one of Azure's 10 s windows takes a call too many.
 */
export function admissionAllowance(deployments: readonly Pick<DeploymentConfig, 'ratePerMinute'>[], maxSleepMs: number, lineWaitMs = 0): number {
  const callsPerSecond = deployments.reduce((sum, d) => sum + d.ratePerMinute / 60, 0);
  const aheadMs = Math.max(MIN_ADMISSION_AHEAD_MS, 2 * maxSleepMs) + lineWaitMs;
  return Math.max(MIN_AUTO_CONCURRENCY, Math.ceil((callsPerSecond * aheadMs) / 1000));
}

/**
 * The concurrency `auto` runs at right now: the jobs whose call has started (in flight, or
 * keeping what it brought) plus the admission allowance, never above `ceiling` (what memory and
 * open files allow, concurrencyCeiling). Calls start at the limiter's pace, so this reaches
 * rate × the latency the calls really take (Little's law) without assuming that latency: calls
 * twice as slow as the model's expected latency keep twice as many underway from the start.
 */
export function concurrencyNow(ceiling: number, callsUnderway: number, allowance: number): number {
  return Math.max(1, Math.min(ceiling, callsUnderway + allowance));
}

/**
 * How many jobs `auto` lets BullMQ fetch ahead of the processor, per tick of `tickMs`: twice the
 * summed quota's calls in a tick (so admission stays ahead of the calls), and never fewer than
 * one job per deployment (every deployment's first call goes at once) or 32.
 *
 * Why a step, and why ahead of the processor: BullMQ 6 fetches jobs one after another, up to
 * the concurrency, before it starts any of them, and keeps fetching while the concurrency keeps
 * rising. Opened an eighth of the allowance a tick (110 jobs for 16 deployments of 150 rpm), and
 * with a producer writing at the same time, the first ~1 s went to fetching: one deployment
 * called at once, the other fifteen 1.3 s later, and a burst of a hundred job starts held the event
 * loop for 300 ms, which sent calls late next to others on time.
 */
export function admissionStep(deployments: readonly Pick<DeploymentConfig, 'ratePerMinute'>[], tickMs: number): number {
  const callsPerSecond = deployments.reduce((sum, d) => sum + d.ratePerMinute / 60, 0);
  return Math.max(MIN_AUTO_CONCURRENCY, deployments.length, Math.ceil((2 * callsPerSecond * tickMs) / 1000));
}

/**
 * The next concurrency of `auto`, one tick on: down to `target` at once; up towards it by at
 * most `step` jobs beyond those the processor holds (`held`), so that BullMQ never has more than
 * a step fetched and not yet started. Calls starting (tens a tick) rise freely.
 */
export function nextConcurrency(current: number, target: number, step: number, held: number): number {
  return target > current ? Math.min(target, Math.max(current, held + step)) : target;
}
