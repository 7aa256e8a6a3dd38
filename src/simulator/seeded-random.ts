/** A reproducible source of numbers in [0, 1), so a seeded simulator run repeats exactly. */
export interface SeededRandom {
  /** The next number in [0, 1). */
  next(): number;
  /** A draw from a normal distribution, truncated to values >= 0. */
  nonNegativeNormal(mean: number, sd: number): number;
}

// Rejection sampling gives a true truncated normal; the cap keeps a mean far below 0 (an odd
// config) from looping for ever.
const MAX_NORMAL_DRAWS = 64;

/** mulberry32: tiny, fast and good enough for fault draws and latencies (not for secrets). */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const standardNormal = (): number => {
    // Box–Muller; 1 - next() is in (0, 1], so the log is finite.
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    nonNegativeNormal(mean, sd) {
      if (sd === 0) return Math.max(0, mean);
      for (let draw = 0; draw < MAX_NORMAL_DRAWS; draw++) {
        const value = mean + sd * standardNormal();
        if (value >= 0) return value;
      }
      return 0;
    },
  };
}
