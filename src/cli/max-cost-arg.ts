import type { ArgsDef } from 'citty';
import { ValidationError } from '../errors/imgbatch-error.js';

/** `--max-cost <usd>`, shared by enqueue, run and resume. */
export const maxCostArgs = {
  'max-cost': {
    type: 'string',
    description:
      'Budget for the batch in USD, e.g. 25 or 0.50. Before each call a worker reserves its expected cost; once spent + in flight would pass the budget, no new call starts and the rest end `skipped` (imgbatch resume with a higher --max-cost makes them). Default: the budget the batch has, or none',
  },
} as const satisfies ArgsDef;

/** The `--max-cost` value in USD, or undefined when not given; refuses anything but an amount of 0 or more. */
export function parseMaxCost(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const usd = Number(text.trim().replace(/^\$/, ''));
  if (text.trim() === '' || !Number.isFinite(usd) || usd < 0) {
    throw new ValidationError([{ field: '--max-cost', reason: `"${text}" is not an amount in USD (a number, 0 or more, e.g. 25 or 0.50)` }]);
  }
  return usd;
}
