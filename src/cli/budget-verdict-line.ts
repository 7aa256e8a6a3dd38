import { formatUsd } from '../cost/format-usd.js';

/** For a dry run with `--max-cost`: whether the expected cost fits the budget. */
export function budgetVerdictLine(expectedCostUsd: number, maxCostUsd: number): string {
  if (expectedCostUsd <= maxCostUsd) return `budget ${formatUsd(maxCostUsd)}: the expected cost fits`;
  return `budget ${formatUsd(maxCostUsd)}: the expected cost is over it by ${formatUsd(expectedCostUsd - maxCostUsd)}; once it is spent, the remaining images end skipped (resume with a higher --max-cost makes them)`;
}
