import type { ScheduleListing } from '../schedule/list-schedules.js';

/** `2025-01-31 02:00:00` in the zone given (Swedish dates are ISO-ordered). */
function inZone(atMs: number, timeZone: string | undefined): string {
  try {
    return new Date(atMs).toLocaleString('sv-SE', { timeZone: timeZone ?? 'UTC' });
  } catch {
    return new Date(atMs).toISOString();
  }
}

/** A fixed-width table of schedules: name, cron, tz, next run (in its zone), batch template. */
export function formatScheduleTable(schedules: readonly ScheduleListing[]): string {
  const header = ['name', 'cron', 'tz', 'next run', 'batch'];
  const cells = schedules.map((s) => [
    s.name,
    s.cron ?? '-',
    s.tz ?? 'UTC',
    s.nextRunAtMs === undefined ? '-' : inZone(s.nextRunAtMs, s.tz),
    s.batch ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}
