import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import type { LimiterSettings } from '../../../src/config/config.js';
import { createSlotLimiter, type SlotDecision, type SlotLimiter } from '../../../src/limiter/slot-limiter.js';
import type { SlotCandidate } from '../../../src/limiter/slot-group.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

const DEPLOYMENTS = 64;

function names(label: string, count = DEPLOYMENTS): string[] {
  return Array.from({ length: count }, (_, i) => `${label}-${String(i).padStart(2, '0')}`);
}

function candidates(list: readonly string[], ratePerMinute: number, priority?: (name: string) => number): SlotCandidate[] {
  return list.map((name) => ({ name, ratePerMinute, ...(priority !== undefined && { priority: priority(name) }) }));
}

type Slot = Extract<SlotDecision, { slotAtMs: number }>;

function slotOf(decision: SlotDecision): Slot {
  if (decision.kind === 'paused') throw new Error(`expected a slot, got ${JSON.stringify(decision)}`);
  return decision;
}

/** Slot times (Redis's clock) by deployment, in the order granted. */
function byDeployment(slots: readonly Slot[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const slot of slots) map.set(slot.deployment, [...(map.get(slot.deployment) ?? []), slot.slotAtMs]);
  return map;
}

/** The smallest gap between two slots of one deployment. */
function minGapMs(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) min = Math.min(min, (sorted[i] ?? 0) - (sorted[i - 1] ?? 0));
  return min;
}

describe(`slot choice over ${DEPLOYMENTS} deployments (slot indexes instead of reading every deployment)`, () => {
  let redis: Redis;
  const prefix = uniquePrefix('many');
  const keys = createKeySpace(prefix);
  const extraConnections: Redis[] = [];

  function limiterWith(overrides: Partial<LimiterSettings>, connection: Redis = redis): SlotLimiter {
    return createSlotLimiter(connection, keys, { ...DEFAULT_LIMITER_SETTINGS, headroom: 0, lateToleranceMs: 100, ...overrides });
  }

  async function acquireMany(limiter: SlotLimiter, label: string, list: readonly SlotCandidate[], count: number): Promise<Slot[]> {
    const slots: Slot[] = [];
    for (let i = 0; i < count; i++) slots.push(slotOf(await limiter.acquire(`${label}-job-${i}`, list)));
    return slots;
  }

  beforeAll(() => {
    redis = connectTestRedis();
  });
  afterAll(async () => {
    await Promise.all(extraConnections.map((c) => c.quit()));
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('gives each slot to the deployment free first: 192 slots on 64 deployments at 60 rpm are three per deployment, one interval apart, granted in time order', async () => {
    const list = candidates(names('even'), 60);
    const slots = await acquireMany(limiterWith({ maxSleepMs: 500 }), 'even', list, 3 * DEPLOYMENTS);
    // The first 64 start now, one on each deployment; the others are held a second and two on.
    expect(slots.slice(0, DEPLOYMENTS).every((s) => s.kind === 'go' && s.waitMs === 0)).toBe(true);
    expect(new Set(slots.slice(0, DEPLOYMENTS).map((s) => s.deployment)).size).toBe(DEPLOYMENTS);
    expect(slots.slice(DEPLOYMENTS).every((s) => s.kind === 'reserved')).toBe(true);
    const perDeployment = byDeployment(slots);
    expect(perDeployment.size).toBe(DEPLOYMENTS);
    for (const [deployment, times] of perDeployment) {
      expect(times, deployment).toHaveLength(3);
      expect(minGapMs(times), deployment).toBeGreaterThanOrEqual(1_000 - 0.01);
    }
    for (let i = 1; i < slots.length; i++) expect(slots[i]?.slotAtMs).toBeGreaterThanOrEqual(slots[i - 1]?.slotAtMs ?? 0);
  });

  it('prefers the best tier while it has a slot now, spills to the next tier when it has not, and reserves the earliest of any tier when none has (tiers 2 and 10, in number order)', async () => {
    const list = names('tier');
    const tierOf = (name: string): number => (list.indexOf(name) % 2 === 0 ? 10 : 2);
    const limiter = limiterWith({ maxSleepMs: 500 });
    const group = candidates(list, 60, tierOf);
    const first = await acquireMany(limiter, 'tier-a', group, DEPLOYMENTS / 2);
    expect(first.map((s) => tierOf(s.deployment))).toEqual(Array.from({ length: DEPLOYMENTS / 2 }, () => 2));
    expect(first.every((s) => s.kind === 'go' && s.waitMs === 0)).toBe(true);
    // Every tier-2 deployment's next slot is a second away (over maxSleepMs): tier 10 starts now.
    const spilled = await acquireMany(limiter, 'tier-b', group, DEPLOYMENTS / 2);
    expect(spilled.map((s) => tierOf(s.deployment))).toEqual(Array.from({ length: DEPLOYMENTS / 2 }, () => 10));
    expect(spilled.every((s) => s.kind === 'go' && s.waitMs === 0)).toBe(true);
    // No tier has a slot within maxSleepMs: the earliest slot of any tier is held, tier 2's.
    const held = slotOf(await limiter.acquire('tier-c', group));
    expect(held.kind).toBe('reserved');
    expect(tierOf(held.deployment)).toBe(2);
    expect(held.slotAtMs - (first.find((s) => s.deployment === held.deployment)?.slotAtMs ?? 0)).toBeCloseTo(1_000, 1);
  });

  it('keeps a pool to its members, and a deployment in a pool and in its model shares one bucket: no two slots closer than an interval', async () => {
    const all = names('pool');
    const members = all.filter((_, i) => i % 8 === 0);
    const limiter = limiterWith({ maxSleepMs: 500 });
    const pooled = await acquireMany(limiter, 'pool-a', candidates(members, 60), members.length);
    expect(pooled.map((s) => s.deployment).sort()).toEqual(members);
    // Through the model's group, the pool's deployments are a second from their next slot; the others start now.
    const model = await acquireMany(limiter, 'pool-b', candidates(all, 60), all.length - members.length);
    expect(model.every((s) => s.kind === 'go' && !members.includes(s.deployment))).toBe(true);
    const later = await acquireMany(limiter, 'pool-c', candidates(members, 60), members.length * 2);
    expect(later.every((s) => members.includes(s.deployment) && s.kind === 'reserved')).toBe(true);
    const more = await acquireMany(limiter, 'pool-d', candidates(all, 60), all.length);
    for (const [deployment, times] of byDeployment([...pooled, ...model, ...later, ...more])) {
      expect(minGapMs(times), deployment).toBeGreaterThanOrEqual(1_000 - 0.01);
    }
  });

  it('gives no slot on a cooling-down deployment before its cooldown ends, while the others go on', async () => {
    const list = names('cool');
    const cooled = list[5] ?? '';
    const limiter = limiterWith({ maxSleepMs: 60_000 });
    await limiter.prepare([candidates(list, 600)]);
    const { cooldownUntil } = await limiter.cooldown(cooled, 5_000);
    const slots = await acquireMany(limiter, 'cool', candidates(list, 600), 3 * DEPLOYMENTS);
    // 63 deployments at 100 ms have slots well before the cooldown ends: the cooled one waits.
    expect(slots.some((s) => s.deployment === cooled)).toBe(false);
    const last = await acquireMany(limiter, 'cool-late', candidates(list, 600), 50 * DEPLOYMENTS);
    const cooledSlots = last.filter((s) => s.deployment === cooled);
    expect(cooledSlots.length).toBeGreaterThan(0);
    expect(Math.min(...cooledSlots.map((s) => s.slotAtMs))).toBeGreaterThanOrEqual(cooldownUntil);
  });

  it('routes around paused deployments, says why when all are, and takes a resumed one back', async () => {
    const list = names('stop');
    const limiter = limiterWith({ maxSleepMs: 60_000 });
    const group = candidates(list, 600);
    await limiter.prepare([group]);
    const open = list[40] ?? '';
    for (const name of list) if (name !== open) await limiter.pause(name, `auth: 401 on ${name}`);
    const slots = await acquireMany(limiter, 'stop', group, 5);
    expect(slots.map((s) => s.deployment)).toEqual([open, open, open, open, open]);
    expect(minGapMs(slots.map((s) => s.slotAtMs))).toBeGreaterThanOrEqual(100 - 0.01);
    await limiter.pause(open, 'forbidden: 403');
    const paused = await limiter.acquire('stop-all', group);
    expect(paused.kind).toBe('paused');
    if (paused.kind === 'paused') {
      expect(paused.reasons).toHaveLength(DEPLOYMENTS);
      expect(paused.reasons).toContainEqual({ deployment: open, reason: 'forbidden: 403' });
      expect(paused.reasons).toContainEqual({ deployment: list[0], reason: `auth: 401 on ${list[0] ?? ''}` });
    }
    const back = list[7] ?? '';
    await limiter.resume(back);
    expect(await limiter.acquire('stop-back', group)).toMatchObject({ kind: 'go', deployment: back, waitMs: 0 });
  });

  it('spaces a deployment whose rate was cut wider than the others, among 64', async () => {
    const list = names('cut');
    const cut = list[7] ?? '';
    const limiter = limiterWith({ maxSleepMs: 60_000 });
    for (let i = 0; i < 3; i++) await limiter.cooldown(cut, 0);
    expect((await limiter.state(cut)).rateFactor).toBeCloseTo(0.49);
    const slots = await acquireMany(limiter, 'cut', candidates(list, 600), 10 * DEPLOYMENTS);
    const perDeployment = byDeployment(slots);
    for (const [deployment, times] of perDeployment) {
      // 600 rpm = 100 ms apart; at 0.49 of it, 204 ms.
      expect(minGapMs(times), deployment).toBeGreaterThanOrEqual(deployment === cut ? 100 / 0.49 - 0.01 : 100 - 0.01);
    }
    expect(perDeployment.get(cut)?.length ?? 0).toBeLessThan((perDeployment.get(list[0] ?? '')?.length ?? 0) * 0.6);
  });

  it('keeps one call per interval on each deployment when four connections take slots at once', async () => {
    const list = candidates(names('race'), 600);
    const limiters = Array.from({ length: 4 }, () => {
      const connection = connectTestRedis();
      extraConnections.push(connection);
      return limiterWith({ maxSleepMs: 60_000 }, connection);
    });
    const all = (await Promise.all(limiters.map((limiter, i) => acquireMany(limiter, `race-${i}`, list, 3 * DEPLOYMENTS)))).flat();
    expect(all).toHaveLength(4 * 3 * DEPLOYMENTS);
    const perDeployment = byDeployment(all);
    expect(perDeployment.size).toBe(DEPLOYMENTS);
    for (const [deployment, times] of perDeployment) expect(minGapMs(times), deployment).toBeGreaterThanOrEqual(100 - 0.01);
  });
});
