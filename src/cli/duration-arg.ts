import { ValidationError } from '../errors/imgbatch-error.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A flag's value as a duration in ms: a whole number and a unit, `90s`, `45m`, `12h`, `30d`
 * (or `0`); anything else is a ValidationError naming the flag, the value and what is allowed.
 */
export function durationArgMs(flag: string, text: string): number {
  if (text === '0') return 0;
  const match = /^(\d{1,9})([smhd])$/.exec(text);
  const unit = match?.[2];
  if (match === null || unit === undefined || !(unit in UNIT_MS)) {
    throw new ValidationError([{ field: `--${flag}`, reason: `"${text}" is not a duration (a whole number and s, m, h or d, e.g. 7d or 12h; or 0)` }]);
  }
  return Number(match[1]) * UNIT_MS[unit as keyof typeof UNIT_MS];
}
