import { ValidationError } from '../errors/imgbatch-error.js';

/**
 * A flag's value as a whole number from `min` to `max` (no upper bound when `max` is absent);
 * anything else is a ValidationError naming the flag, the value and what is allowed.
 */
export function wholeNumberArg(flag: string, text: string, min: number, max?: number): number {
  const value = Number(text);
  if (Number.isInteger(value) && value >= min && (max === undefined || value <= max)) return value;
  const allowed = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
  throw new ValidationError([{ field: `--${flag}`, reason: `"${text}" is not a whole number ${allowed}` }]);
}
