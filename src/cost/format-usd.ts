/** `$0.0420`, `$12.50`: four decimals below $10 (single images cost fractions of a cent), two above. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(Math.abs(usd) >= 10 ? 2 : 4)}`;
}
