import type { DeploymentStatus } from '../limiter/deployment-status.js';

/** A fixed-width table, one deployment per row. */
export function formatDeploymentTable(rows: readonly DeploymentStatus[]): string {
  const header = ['deployment', 'model', 'tier', 'rpm', 'effective', 'calls/min', '429s/min', '429s', 'state', 'model lifecycle'];
  const cells = rows.map((r) => [
    r.name,
    r.model,
    String(r.priority),
    String(r.configuredRatePerMinute),
    String(r.effectiveRatePerMinute),
    String(r.callsLastMinute),
    String(r.rateLimitedLastMinute),
    String(r.rateLimitedTotal),
    r.state,
    r.modelLifecycle,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}
