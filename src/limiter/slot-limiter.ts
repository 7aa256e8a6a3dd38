import { randomUUID } from 'node:crypto';
import type { LimiterSettings } from '../config/config.js';
import { ImgbatchError } from '../errors/imgbatch-error.js';
import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import { priorityRank, type JobPriority } from '../job/job-priority.js';
import { defineLuaCommands, luaCommand, preloadLuaCommands, type LuaCommand } from '../lua/lua-command.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { slotGroupOf, type SlotCandidate, type SlotGroup } from './slot-group.js';

export type SlotDecision =
  /**
   * Start the call on `deployment` after `waitMs` (at most maxSleepMs). Negative when a held
   * slot is claimed late: the slot was `-waitMs` ago. `slotAtMs`: the slot by Redis's clock
   * (other machines' clocks may differ from it; `waitMs` does not depend on them).
   */
  | { readonly kind: 'go'; readonly deployment: string; readonly waitMs: number; readonly slotAtMs: number }
  /** A slot `waitMs` away is held for this job: put the job back as delayed until then. */
  | { readonly kind: 'reserved'; readonly deployment: string; readonly waitMs: number; readonly slotAtMs: number }
  /** Every candidate is paused. */
  | { readonly kind: 'paused'; readonly reasons: ReadonlyArray<{ readonly deployment: string; readonly reason: string }> };

/** What a job with a place in line is told: a slot as above, or to wait its turn. */
export type LineDecision =
  | SlotDecision
  /**
   * The job keeps its place in the group's waiting room, `ahead` jobs before it: put it back
   * as delayed for `waitMs` (its turn is then about maxSleepMs / 4 away) and ask again.
   */
  | { readonly kind: 'queued'; readonly waitMs: number; readonly ahead: number };

/** A job's place in line for a slot group's slots. */
export interface LinePlace {
  /** The best priority waiting takes the next slot. */
  readonly priority: JobPriority;
  /** Batches of one priority take turns (round-robin). */
  readonly batchId: string;
  /**
   * The job was never called: only a 429 holds a slot for a job in line (cooldown), so it holds
   * none and the reservations are not looked at (a command less per ask). Default false.
   */
  readonly isUncalled?: boolean;
  /**
   * The job never asked for a slot in line before (its first run, its first ask): it has no
   * place in the waiting room, so it is not looked for there (a command less). Default false.
   */
  readonly isFirstAsk?: boolean;
}

/**
 * How long a parked job's place outlives its wake time, ms: a job that has not come back by
 * then (its worker busy, BullMQ late) is dropped from the line and queues again when it does.
 */
const ROOM_GRACE_MS = 30_000;

export type CallableState =
  | { readonly kind: 'callable' }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'cooling_down'; readonly remainingMs: number };

export interface DeploymentLimiterState {
  readonly deployment: string;
  readonly pausedReason: string | undefined;
  readonly cooldownUntil: number | undefined;
  /** 429s since the state was created. */
  readonly rateLimitedCount: number;
  readonly lastGrantAt: number | undefined;
  /** Share of the configured rate in force (1 unless repeated 429s cut it). */
  readonly rateFactor: number;
  /** Calls that came back in the last minute, and how many of them were 429s. */
  readonly callsLastMinute: number;
  readonly rateLimitedLastMinute: number;
  /** Calls that came back, and 429s among them, per minute of the last hour that had any, oldest first. */
  readonly callMinutes: readonly CallMinute[];
}

/** One minute of a deployment's calls that came back. */
export interface CallMinute {
  /** Start of the minute, Redis time (ms since the epoch, a multiple of 60000). */
  readonly minuteStartMs: number;
  readonly calls: number;
  readonly rateLimited: number;
}

/** Per-minute counts (`<minute>` and `<minute>:429` fields) as minutes, oldest first. */
function callMinutesOf(hash: Readonly<Record<string, string>>): CallMinute[] {
  const minutes = new Map<number, { calls: number; rateLimited: number }>();
  for (const [field, value] of Object.entries(hash)) {
    const match = /^(\d+)(:429)?$/.exec(field);
    if (match === null) continue;
    const minute = Number(match[1]);
    const entry = minutes.get(minute) ?? { calls: 0, rateLimited: 0 };
    if (match[2] === undefined) entry.calls = Number(value);
    else entry.rateLimited = Number(value);
    minutes.set(minute, entry);
  }
  return [...minutes]
    .sort(([a], [b]) => a - b)
    .map(([minute, counts]) => ({ minuteStartMs: minute * 60_000, ...counts }));
}

/** How a call came back, for the call log: `ok`, a 429, or anything else. */
export type CallResult = 'ok' | 'error';

/**
 * A call's entry in its deployment's call log, as record-call.lua writes it, for a script that
 * writes it beside other things in one round trip (finish-call.lua): its keys and arguments.
 */
export interface CallLogEntry {
  readonly keys: readonly [string, string, string];
  readonly args: readonly [CallResult, number, string];
}

/** The job a 429 answered, so it gets the deployment's first slot after the wait. */
export interface RateLimitedJob {
  readonly jobId: string;
  /** Images its call asks for (the quota units on a deployment whose quota counts images); default 1. */
  readonly images?: number;
}

export interface Cooldown {
  /** When the deployment may be called again, Redis time (ms since the epoch). */
  readonly cooldownUntil: number;
  /** Share of the configured rate now in force. */
  readonly rateFactor: number;
  /**
   * With a job: ms from now to the slot now held for it, the deployment's first at or after
   * the cooldown (the job claims it with `acquire`); undefined when none could be held (the
   * deployment is paused, or no worker registered it).
   */
  readonly retryInMs: number | undefined;
}

export interface SlotLimiter {
  /**
   * Takes (or claims a held) call slot for a job among the candidate deployments; `images`
   * is what the call asks for (default 1), the quota it spends where the quota counts images.
   * A slot too far to wait for is held for the job (`reserved`), whoever comes after it.
   */
  acquire(jobId: string, candidates: readonly SlotCandidate[], images?: number): Promise<SlotDecision>;
  /**
   * `acquire` for a job with a place in line: while its turn is not within maxSleepMs / 2 it waits
   * in the group's waiting room (`queued`), so a better priority that comes later, or another
   * batch's turn, goes first; nothing far is booked. `jobId` is its BullMQ id in the image
   * queue: a parked job whose BullMQ job is gone leaves the line.
   */
  acquireInLine(jobId: string, candidates: readonly SlotCandidate[], place: LinePlace, images?: number): Promise<LineDecision>;
  /**
   * Gets everything a first slot needs into Redis before it is taken: the scripts (the
   * limiter's, and any other defined on this connection with defineLuaCommands, such as those
   * run between a slot and its call), so no call is timed across a script load, and the groups
   * of these candidate lists.
   */
  prepare(candidateLists: ReadonlyArray<readonly SlotCandidate[]>): Promise<void>;
  /** Whether the deployment may be called now (not paused, not cooling down), by Redis time. */
  checkCallable(deployment: string): Promise<CallableState>;
  /**
   * After a 429: no call to this deployment for `waitMs`; a repeated 429 also cuts its rate.
   * With `job`, the job that got the 429 is given the deployment's first slot after the wait,
   * ahead of jobs holding later ones.
   */
  cooldown(deployment: string, waitMs: number, job?: RateLimitedJob): Promise<Cooldown>;
  /** Logs a call that came back (not 429); a success wins back part of any rate cut. */
  recordCall(deployment: string, result: CallResult): Promise<void>;
  /** What recordCall writes, for a script that writes it with a job's end (BatchRegistry.finishCall). */
  callLogEntry(deployment: string, result: CallResult): CallLogEntry;
  /** Stops every worker calling this deployment until `resume`. */
  pause(deployment: string, reason: string): Promise<void>;
  resume(deployment: string): Promise<void>;
  state(deployment: string): Promise<DeploymentLimiterState>;
}

/** Distinct candidate lists whose slot group a limiter keeps worked out. */
const MAX_REMEMBERED_GROUPS = 64;

/**
 * 12 random hex digits (48 bits), as randomBytes(6) gave them. Taken from randomUUID, which
 * draws from a buffer of entropy filled once per many ids: randomBytes makes a crypto job per
 * call, and this runs on every call recorded. A v4 UUID's first 12 hex digits are all random
 * (its version digit comes after them).
 */
function uniqueId(): string {
  const uuid = randomUUID();
  return uuid.slice(0, 8) + uuid.slice(9, 13);
}

type Arg = string | number;

interface LimiterCommands {
  imgbatchAcquireSlot(
    reservations: string,
    group: string,
    prefix: string,
    groupId: string,
    jobId: string,
    maxSleepMs: number,
    lateToleranceMs: number,
    images: number,
    priority: Arg,
    batchId: string,
    jobKeyPrefix: string,
    roomGraceMs: number,
    tiers: string,
    groupIntervalMs: string,
    isUncalled: string,
    isFirstAsk: string,
  ): Promise<Arg[]>;
  imgbatchRegisterSlotGroup(group: string, prefix: string, groupId: string, ...registration: string[]): Promise<number>;
  imgbatchCooldownAfter429(
    stateKey: string,
    callsKey: string,
    reservations: string,
    minutesKey: string,
    prefix: string,
    deployment: string,
    waitMs: number,
    decrease: number,
    minFactor: number,
    id: string,
    jobId: string,
    images: number,
  ): Promise<[number, string, number]>;
  imgbatchRecordCall(stateKey: string, callsKey: string, minutesKey: string, result: string, step: number, id: string): Promise<number>;
  imgbatchRecentCalls(callsKey: string): Promise<string[]>;
  imgbatchCheckCallable(key: string): Promise<[string, number]>;
  imgbatchPauseDeployment(key: string, prefix: string, deployment: string, reason: string): Promise<number>;
  imgbatchResumeDeployment(key: string, prefix: string, deployment: string): Promise<number>;
}

let commandsRead: readonly LuaCommand[] | undefined;

/** The limiter's scripts, read from src/limiter/lua/ (dist/limiter/lua/ once built) on first use. */
function limiterCommands(): readonly LuaCommand[] {
  const file = (name: string): URL => new URL(`./lua/${name}`, import.meta.url);
  commandsRead ??= [
    luaCommand('imgbatchAcquireSlot', file('acquire-slot.lua'), 2),
    luaCommand('imgbatchRegisterSlotGroup', file('register-slot-group.lua'), 1),
    luaCommand('imgbatchCooldownAfter429', file('cooldown-after-429.lua'), 4),
    luaCommand('imgbatchRecordCall', file('record-call.lua'), 3),
    luaCommand('imgbatchRecentCalls', file('recent-calls.lua'), 1),
    luaCommand('imgbatchCheckCallable', file('check-callable.lua'), 1),
    luaCommand('imgbatchPauseDeployment', file('pause-deployment.lua'), 1),
    luaCommand('imgbatchResumeDeployment', file('resume-deployment.lua'), 1),
  ];
  return commandsRead;
}

/**
 * The token bucket shared by every worker process through Redis. Capacity 1 by default:
 * Azure enforces per-minute quotas over 1–10 s windows, so a minute's worth sent as a burst
 * is throttled even when the minute's total is within quota.
 */
export function createSlotLimiter(redis: RedisClient, keys: KeySpace, settings: LimiterSettings): SlotLimiter {
  defineLuaCommands(redis, limiterCommands());
  const commands = redis as unknown as LimiterCommands;
  // Groups this limiter registered, by id, with what it registered: a process registers each
  // of its groups once; a group lost from Redis is registered again when a slot finds it gone.
  const registered = new Map<string, string>();

  // Each decision names its candidates afresh; their group (a digest, checks, spacings) is
  // worked out once per distinct list. Lists come from the config, so there are a few; the cap
  // only guards library callers that make up many.
  const groups = new Map<string, SlotGroup>();
  function groupOf(candidates: readonly SlotCandidate[]): SlotGroup {
    let key = '';
    for (const c of candidates) key += `${c.name}\u0000${c.ratePerMinute}\u0000${c.quotaUnit ?? ''}\u0000${c.burst ?? ''}\u0000${c.priority ?? ''}\u0001`;
    let group = groups.get(key);
    if (group === undefined) {
      group = slotGroupOf(candidates, settings.headroom);
      if (groups.size >= MAX_REMEMBERED_GROUPS) groups.clear();
      groups.set(key, group);
    }
    return group;
  }

  async function register(group: SlotGroup): Promise<void> {
    await commands.imgbatchRegisterSlotGroup(keys.limiterGroup(group.id), keys.limiterPrefix, group.id, ...group.registration);
    registered.set(group.id, group.signature);
  }

  // BullMQ's key of a job in the image queue is this plus its id.
  const jobKeyPrefix = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:`;

  function takeSlot(group: SlotGroup, jobId: string, images: number, place: LinePlace | undefined): Promise<Arg[]> {
    return commands.imgbatchAcquireSlot(
      keys.limiterReservations,
      keys.limiterGroup(group.id),
      keys.limiterPrefix,
      group.id,
      jobId,
      settings.maxSleepMs,
      settings.lateToleranceMs,
      images,
      place === undefined ? '' : priorityRank(place.priority),
      place?.batchId ?? '',
      jobKeyPrefix,
      ROOM_GRACE_MS,
      group.tiers,
      group.intervalMs,
      place?.isUncalled === true ? '1' : '',
      place?.isFirstAsk === true ? '1' : '',
    );
  }

  async function decide(jobId: string, candidates: readonly SlotCandidate[], images: number, place: LinePlace | undefined): Promise<LineDecision> {
    const group = groupOf(candidates);
    if (registered.get(group.id) !== group.signature) await register(group);
    let reply = await takeSlot(group, jobId, images, place);
    if (reply[0] === 'unregistered') {
      await register(group);
      reply = await takeSlot(group, jobId, images, place);
    }
    const [kind, ...rest] = reply;
    if (kind === 'go' || kind === 'reserved') return { kind, deployment: String(rest[0]), waitMs: Number(rest[1]), slotAtMs: Number(rest[2]) };
    if (kind === 'queued') return { kind, waitMs: Number(rest[0]), ahead: Number(rest[1]) };
    if (kind === 'paused') {
      const reasons: { deployment: string; reason: string }[] = [];
      for (let i = 0; i + 1 < rest.length; i += 2) reasons.push({ deployment: String(rest[i]), reason: String(rest[i + 1]) });
      return { kind: 'paused', reasons };
    }
    throw new ImgbatchError('INTERNAL', `the limiter's slot group ${group.id} is missing in Redis right after it was registered (reply ${JSON.stringify(reply)})`);
  }

  const callLogEntry = (deployment: string, result: CallResult): CallLogEntry => ({
    keys: [keys.limiterDeployment(deployment), keys.limiterCalls(deployment), keys.limiterCallMinutes(deployment)],
    args: [result, settings.recoverStep, uniqueId()],
  });

  return {
    async acquire(jobId, candidates, images = 1) {
      const decision = await decide(jobId, candidates, images, undefined);
      if (decision.kind === 'queued') throw new ImgbatchError('INTERNAL', `the limiter queued job ${jobId}, which has no place in line`);
      return decision;
    },

    acquireInLine(jobId, candidates, place, images = 1) {
      return decide(jobId, candidates, images, place);
    },

    async prepare(candidateLists) {
      await preloadLuaCommands(redis);
      for (const candidates of candidateLists) await register(slotGroupOf(candidates, settings.headroom));
    },

    async checkCallable(deployment) {
      const [pausedReason, remainingMs] = await commands.imgbatchCheckCallable(keys.limiterDeployment(deployment));
      if (pausedReason !== '') return { kind: 'paused', reason: pausedReason };
      return remainingMs > 0 ? { kind: 'cooling_down', remainingMs } : { kind: 'callable' };
    },

    async cooldown(deployment, waitMs, job) {
      const [cooldownUntil, rateFactor, retryInMs] = await commands.imgbatchCooldownAfter429(
        keys.limiterDeployment(deployment),
        keys.limiterCalls(deployment),
        keys.limiterReservations,
        keys.limiterCallMinutes(deployment),
        keys.limiterPrefix,
        deployment,
        Math.max(0, Math.ceil(waitMs)),
        settings.decreaseFactor,
        settings.minRateFactor,
        uniqueId(),
        job?.jobId ?? '',
        job?.images ?? 1,
      );
      return { cooldownUntil, rateFactor: Number(rateFactor), retryInMs: retryInMs < 0 ? undefined : retryInMs };
    },

    async recordCall(deployment, result) {
      const entry = callLogEntry(deployment, result);
      await commands.imgbatchRecordCall(...entry.keys, ...entry.args);
    },

    callLogEntry,

    async pause(deployment, reason) {
      await commands.imgbatchPauseDeployment(keys.limiterDeployment(deployment), keys.limiterPrefix, deployment, reason);
    },

    async resume(deployment) {
      await commands.imgbatchResumeDeployment(keys.limiterDeployment(deployment), keys.limiterPrefix, deployment);
    },

    async state(deployment) {
      const [hash, recent, minutes] = await Promise.all([
        redis.hgetall(keys.limiterDeployment(deployment)),
        commands.imgbatchRecentCalls(keys.limiterCalls(deployment)),
        redis.hgetall(keys.limiterCallMinutes(deployment)),
      ]);
      const numberOrUndefined = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
      return {
        deployment,
        pausedReason: hash.paused,
        cooldownUntil: numberOrUndefined(hash.cooldownUntil),
        rateLimitedCount: Number(hash.rateLimited ?? 0),
        lastGrantAt: numberOrUndefined(hash.lastGrantAt),
        rateFactor: Number(hash.rateFactor ?? 1),
        callsLastMinute: recent.length,
        rateLimitedLastMinute: recent.filter((member) => member.split(':')[1] === '429').length,
        callMinutes: callMinutesOf(minutes),
      };
    },
  };
}
