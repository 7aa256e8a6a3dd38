import { describe, expect, it } from 'vitest';
import { drawFault } from '../../../src/simulator/draw-fault.js';
import { createSeededRandom } from '../../../src/simulator/seeded-random.js';

const noFaults = { seed: 1, error500Rate: 0, error503Rate: 0, hangRate: 0, resetRate: 0 };

describe('drawFault', () => {
  it('injects nothing and draws nothing when every rate is 0', () => {
    const random = createSeededRandom(7);
    const untouched = createSeededRandom(7);
    expect(drawFault(random, noFaults)).toBeUndefined();
    expect(random.next()).toBe(untouched.next());
  });

  it('always injects a fault whose rate is 1', () => {
    const random = createSeededRandom(7);
    for (let i = 0; i < 20; i++) expect(drawFault(random, { ...noFaults, resetRate: 1 })).toBe('reset');
  });

  it('repeats the same faults for the same seed', () => {
    const rates = { ...noFaults, error500Rate: 0.2, error503Rate: 0.2, hangRate: 0.1, resetRate: 0.1 };
    const draws = (seed: number): (string | undefined)[] => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 50 }, () => drawFault(random, rates));
    };
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
  });

  it('injects faults at roughly their rates', () => {
    const random = createSeededRandom(3);
    const rates = { ...noFaults, error500Rate: 0.3 };
    const count = Array.from({ length: 10_000 }, () => drawFault(random, rates)).filter((f) => f === '500').length;
    expect(count).toBeGreaterThan(2_800);
    expect(count).toBeLessThan(3_200);
  });
});

describe('createSeededRandom', () => {
  it('draws a truncated normal: never below 0, centred on the mean', () => {
    const random = createSeededRandom(1);
    const draws = Array.from({ length: 5_000 }, () => random.nonNegativeNormal(300, 100));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(290);
    expect(mean).toBeLessThan(310);
    expect(Math.min(...Array.from({ length: 1_000 }, () => random.nonNegativeNormal(5, 50)))).toBeGreaterThanOrEqual(0);
  });

  it('returns the mean exactly when sd is 0', () => {
    expect(createSeededRandom(1).nonNegativeNormal(40, 0)).toBe(40);
  });
});
