import type { SeededRandom } from './seeded-random.js';
import type { FaultRates } from './simulator-options.js';

/** A fault drawn by rate; the same kinds a script can queue. */
export type RandomFault = '500' | '503' | 'hang' | 'reset';

/**
 * One draw per call decides its fault, if any, so a seeded run injects the same faults into
 * the same calls every time (given the same call order).
 */
export function drawFault(random: SeededRandom, rates: FaultRates): RandomFault | undefined {
  const totalRate = rates.error500Rate + rates.error503Rate + rates.hangRate + rates.resetRate;
  // No draw when faults are off, so a fault-free run's latencies depend on the seed alone.
  if (totalRate === 0) return undefined;
  let threshold = random.next();
  const ordered: readonly [RandomFault, number][] = [
    ['500', rates.error500Rate],
    ['503', rates.error503Rate],
    ['hang', rates.hangRate],
    ['reset', rates.resetRate],
  ];
  for (const [fault, rate] of ordered) {
    if (threshold < rate) return fault;
    threshold -= rate;
  }
  return undefined;
}
