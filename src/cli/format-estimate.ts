import type { BatchEstimate } from '../cost/batch-estimate.js';
import { formatUsd } from '../cost/format-usd.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `45 s`, `12 min`, `3 h 20 min`: as precise as a quota-bound estimate deserves. */
export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The estimate for people: expected cost and duration, then one line per model saying which
 * deployments' quotas the duration assumes. `isSimulator` says those are the built-in simulator's
 * (what `imgbatch run` uses without deployments).
 */
export function formatEstimate(estimate: BatchEstimate, options: { readonly isSimulator?: boolean } = {}): string {
  const quotas = options.isSimulator === true ? 'the built-in simulator\'s demo quotas (no deployments configured)' : 'the configured quotas';
  const duration = estimate.expectedDurationSeconds === null ? 'unknown (a model has no deployment, see below)' : `${formatSeconds(estimate.expectedDurationSeconds)} at ${quotas}`;
  const lines = [
    `expected cost ${formatUsd(estimate.expectedCostUsd)} for ${plural(estimate.images, 'image')} in ${plural(estimate.calls, 'call')}; expected duration ${duration}`,
  ];
  for (const m of estimate.models) {
    const basis = m.bases.map((b) => (b === 'per-image' ? 'per-image price' : b === 'tokens' ? 'expected tokens' : 'UNPRICED')).join(' + ');
    const served =
      m.deployments.length === 0
        ? 'no configured deployment serves it: duration unknown'
        : `${Math.round(m.callsPerMinute * 10) / 10} calls/min on ${m.deployments.join(', ')}: ${formatSeconds(m.expectedDurationSeconds ?? 0)}`;
    lines.push(`  ${m.model}: ${plural(m.images, 'image')} in ${plural(m.calls, 'call')}, ${formatUsd(m.expectedCostUsd)} (${basis}); ${served}`);
    if (m.unpricedImages > 0) lines.push(`    ${plural(m.unpricedImages, 'image')} of ${m.model} have no price in the table and count as $0: add them under prices: in the config file`);
  }
  lines.push(`prices of ${estimate.prices.takenOn}: ${estimate.prices.source}`);
  return lines.join('\n');
}
