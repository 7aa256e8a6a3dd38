import { describe, expect, it } from 'vitest';
import { slotCandidateListsOf } from '../../../src/limiter/slot-candidate-lists.js';
import { slotGroupOf } from '../../../src/limiter/slot-group.js';
import type { DeploymentConfig } from '../../../src/config/deployment-config.js';

function deployment(name: string, model: string, pools: string[] = [], priority = 1): DeploymentConfig {
  return { name, endpoint: 'https://x.openai.azure.com', deployment: name, model, ratePerMinute: 60, apiVersion: '2025-04-01-preview', auth: { kind: 'entra' }, quotaUnit: 'request', priority, pools };
}

describe('slot groups: which deployments share one set of slot indexes', () => {
  it('names a group by its members and their tiers, whatever their order', () => {
    const a = slotGroupOf([{ name: 'a', ratePerMinute: 60 }, { name: 'b', ratePerMinute: 120, priority: 2 }], 0.02);
    const b = slotGroupOf([{ name: 'b', ratePerMinute: 120, priority: 2 }, { name: 'a', ratePerMinute: 60 }], 0.02);
    expect(a.id).toBe(b.id);
    expect(a.signature).toBe(b.signature);
    expect(slotGroupOf([{ name: 'a', ratePerMinute: 60 }, { name: 'b', ratePerMinute: 120 }], 0.02).id).not.toBe(a.id);
    // The same members at another rate are the same group, registered again with the new spacing.
    const faster = slotGroupOf([{ name: 'a', ratePerMinute: 600 }, { name: 'b', ratePerMinute: 120, priority: 2 }], 0.02);
    expect(faster.id).toBe(a.id);
    expect(faster.signature).not.toBe(a.signature);
  });

  it('registers tiers in number order and each member with its spacing per quota unit, headroom included', () => {
    const group = slotGroupOf(
      [
        { name: 'x', ratePerMinute: 150, priority: 10, quotaUnit: 'image' },
        { name: 'y', ratePerMinute: 60, priority: 2, burst: 3 },
      ],
      0.02,
    );
    expect(group.registration).toEqual(['2,10', 'x', '10', '408.000', '0.000', '1', 'y', '2', '1020.000', '2040.000', '0']);
  });

  it('refuses what would corrupt a group: no candidate, a repeated name, a rate or tier out of range', () => {
    expect(() => slotGroupOf([], 0)).toThrow(/at least one candidate/);
    expect(() => slotGroupOf([{ name: 'a', ratePerMinute: 60 }, { name: 'a', ratePerMinute: 60 }], 0)).toThrow(/candidate 1 \("a"\): the name is already another candidate's/);
    expect(() => slotGroupOf([{ name: 'a', ratePerMinute: 0 }], 0)).toThrow(/ratePerMinute 0 is not allowed/);
    expect(() => slotGroupOf([{ name: 'a', ratePerMinute: 60, priority: 0 }], 0)).toThrow(/priority 0 is not allowed/);
  });

  it('gives a worker one candidate list per model and one per pool of a model, as requests pick them', () => {
    const lists = slotCandidateListsOf([deployment('e1', 'gpt-image-1', ['eu']), deployment('e2', 'gpt-image-1', ['eu', 'fast'], 2), deployment('u1', 'gpt-image-1'), deployment('d1', 'dall-e-3', ['eu'])]);
    expect(lists.map((list) => list.map((c) => c.name))).toEqual([['e1', 'e2', 'u1'], ['e1', 'e2'], ['e2'], ['d1'], ['d1']]);
    expect(lists[1]).toEqual([
      { name: 'e1', ratePerMinute: 60, quotaUnit: 'request', priority: 1 },
      { name: 'e2', ratePerMinute: 60, quotaUnit: 'request', priority: 2 },
    ]);
  });
});
