import type { ClientSpend } from '../batch/client-ledger.js';
import { formatUsd } from '../cost/format-usd.js';

/** `status`'s lines of spend per API client: today (UTC) and in all. */
export function formatClientSpend(spends: readonly ClientSpend[]): string {
  const width = Math.max(...spends.map((spend) => spend.client.length));
  return `API clients (spend today UTC / in all):\n${spends.map((spend) => `  ${spend.client.padEnd(width)}  ${formatUsd(spend.todayUsd)} / ${formatUsd(spend.totalUsd)}\n`).join('')}`;
}
