import { createHash } from 'node:crypto';
import { quotaSpacingMs } from './quota-spacing.js';

/** One deployment a job may be served by, as the limiter sees it. */
export interface SlotCandidate {
  /** Deployment name (limiter key). */
  readonly name: string;
  readonly ratePerMinute: number;
  /** What the deployment's quota counts: `request` (default), or `image` (a call of n images spends n). */
  readonly quotaUnit?: 'request' | 'image';
  /** Calls that may start back to back; default 1, i.e. evenly spaced. */
  readonly burst?: number;
  /** Priority tier, 1 is best; default 1. */
  readonly priority?: number;
}

/** The deployments a job may be served by, as one group with slot indexes of its own in Redis. */
export interface SlotGroup {
  /**
   * The group's name in Redis: a digest of its members and their tiers. Workers configured
   * with the same deployments share one group; a worker with other deployments has its own
   * group, so it is never given a slot on a deployment it cannot call.
   */
  readonly id: string;
  /** Everything the group registers, as one string: equal strings, equal registrations. */
  readonly signature: string;
  /** register-slot-group.lua's arguments after the prefix and the id: tiers, then 5 per member. */
  readonly registration: readonly string[];
  /** The group's tiers, ascending, comma-separated (as registered). */
  readonly tiers: string;
  /**
   * The spacing of all members' slots together, ms (1 / the sum of their rates per ms), as
   * register-slot-group.lua works it out: acquire-slot.lua is given it rather than reading it.
   */
  readonly intervalMs: string;
}

function describe(candidate: SlotCandidate, index: number): string {
  return `candidate ${index} (${JSON.stringify(candidate.name)})`;
}

/**
 * The group of `candidates`, with each member's spacing: 60 000 / ratePerMinute ms per quota
 * unit, or wider where a 10 s window would otherwise take one call too many (quotaSpacingMs),
 * widened by `headroom` (a share, e.g. 0.02).
 *
 * @throws Error when there is no candidate, a name repeats, or a rate, burst or tier is not
 * allowed (the limiter's callers build candidates from validated config; this guards the API).
 */
export function slotGroupOf(candidates: readonly SlotCandidate[], headroom: number): SlotGroup {
  if (candidates.length === 0) throw new Error('a slot group needs at least one candidate deployment');
  const seen = new Set<string>();
  const members = candidates.map((candidate, index) => {
    if (candidate.name === '') throw new Error(`${describe(candidate, index)}: the name must not be empty`);
    if (seen.has(candidate.name)) throw new Error(`${describe(candidate, index)}: the name is already another candidate's`);
    seen.add(candidate.name);
    if (!Number.isFinite(candidate.ratePerMinute) || candidate.ratePerMinute <= 0) {
      throw new Error(`${describe(candidate, index)}: ratePerMinute ${candidate.ratePerMinute} is not allowed (a positive number)`);
    }
    const tier = candidate.priority ?? 1;
    if (!Number.isInteger(tier) || tier < 1) throw new Error(`${describe(candidate, index)}: priority ${tier} is not allowed (a whole number from 1)`);
    const burst = candidate.burst ?? 1;
    if (!Number.isInteger(burst) || burst < 1) throw new Error(`${describe(candidate, index)}: burst ${burst} is not allowed (a whole number from 1)`);
    const intervalMs = quotaSpacingMs(candidate.ratePerMinute) * (1 + headroom);
    return {
      name: candidate.name,
      tier,
      fields: [candidate.name, String(tier), intervalMs.toFixed(3), ((burst - 1) * intervalMs).toFixed(3), candidate.quotaUnit === 'image' ? '1' : '0'],
    };
  });
  members.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tiers = [...new Set(members.map((m) => m.tier))].sort((a, b) => a - b).join(',');
  const id = createHash('sha1')
    .update(members.map((m) => `${m.name}\u0000${m.tier}`).join('\u0001'))
    .digest('hex')
    .slice(0, 16);
  const registration = [tiers, ...members.flatMap((m) => m.fields)];
  const callsPerMs = members.reduce((sum, m) => sum + 1 / Number(m.fields[2]), 0);
  return { id, signature: registration.join('\u0000'), registration, tiers, intervalMs: (1 / callsPerMs).toFixed(3) };
}
