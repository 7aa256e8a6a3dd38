import { ValidationError } from '../errors/imgbatch-error.js';
import { safeIdSchema } from '../job/image-request.js';

/** The placeholders a batch-name template may use, all in the schedule's time zone. */
const BATCH_NAME_PLACEHOLDERS = ['date', 'time', 'datetime', 'name'] as const;
type Placeholder = (typeof BATCH_NAME_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{([^{}]*)\}/g;

function isPlaceholder(value: string): value is Placeholder {
  return BATCH_NAME_PLACEHOLDERS.some((p) => p === value);
}

/** Calendar fields of an instant in a time zone (the tz database name, e.g. `Europe/Paris`). */
function zonedParts(atMs: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '00';
  return { year: part('year').padStart(4, '0'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second') };
}

/** Whether `timeZone` is a zone this runtime knows (`Intl` throws RangeError on others). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Problems with a template, as reasons; empty when it is usable. It must name only known
 * placeholders, and hold `{date}` or `{datetime}`: the batch name is what makes a run's jobs
 * its own (job ids derive from it), so a name without the date would fold every run into the
 * first one, and a repeat firing of one run could not be told from the next run. Whether the
 * date is fine enough for the cron pattern is checkConsecutiveRuns's question.
 */
export function checkBatchNameTemplate(template: string): string[] {
  const problems: string[] = [];
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  for (const name of names) {
    if (!isPlaceholder(name)) problems.push(`{${name}} is not a placeholder (allowed: ${BATCH_NAME_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
  }
  if (!names.includes('date') && !names.includes('datetime')) problems.push('must contain {date} or {datetime}, so each run gets a batch of its own');
  if (problems.length > 0) return problems;
  // Fill with a sample to check what remains: the literal text must make a valid batch id too.
  const sample = renderTemplate(template, Date.UTC(2025, 0, 31, 2, 0, 0), 'UTC', 'schedule');
  const checked = safeIdSchema.safeParse(sample);
  if (!checked.success) problems.push(`gives batch ids like "${sample}", which ${checked.error.issues.map((i) => i.message).join('; ')}`);
  return problems;
}

function renderTemplate(template: string, fireAtMs: number, timeZone: string, scheduleName: string): string {
  const t = zonedParts(fireAtMs, timeZone);
  const date = `${t.year}-${t.month}-${t.day}`;
  // `-` between time fields: `:` may not appear in batch ids (BullMQ job ids, file names).
  const time = `${t.hour}-${t.minute}-${t.second}`;
  const values: Record<Placeholder, string> = { date, time, datetime: `${date}T${time}`, name: scheduleName };
  return template.replace(PLACEHOLDER, (whole, name: string) => (isPlaceholder(name) ? values[name] : whole));
}

/**
 * The batch id of one run of a schedule: the template filled in with the time the run was due
 * (not when a worker got to it), in the schedule's zone, so a run fired twice, or retried,
 * lands in the same batch and adds nothing. `{date}` is `2025-01-31`, `{time}` `02-00-00`,
 * `{datetime}` `2025-01-31T02-00-00`, `{name}` the schedule's name.
 */
export function renderBatchName(template: string, fireAtMs: number, timeZone: string, scheduleName: string): string {
  const batchId = renderTemplate(template, fireAtMs, timeZone, scheduleName);
  const checked = safeIdSchema.safeParse(batchId);
  if (!checked.success) {
    throw new ValidationError([{ field: 'batch', reason: `"${template}" gives "${batchId}", which ${checked.error.issues.map((i) => i.message).join('; ')}` }]);
  }
  return batchId;
}

/** `2025-01-31 02:00:00`: a due time as the schedule's zone reads it, for messages. */
function wallClock(atMs: number, timeZone: string): string {
  const t = zonedParts(atMs, timeZone);
  return `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute}:${t.second}`;
}

/**
 * Problems with a template for the runs a cron pattern gives, as reasons; empty when each of
 * `runsAtMs` (consecutive due times, ascending) gets a batch name of its own. A run whose name
 * an earlier run already used adds nothing (fire-schedule.ts marks a batch fired once it is
 * enqueued), so `banners-{date}` on an hourly pattern would make one batch a day. `{datetime}`
 * is to the second, the finest a cron pattern fires at; when even it repeats, the zone's clock
 * went back (the end of daylight saving time) and only a zone without DST, such as UTC, helps.
 */
export function checkConsecutiveRuns(template: string, runsAtMs: readonly number[], timeZone: string, scheduleName: string): string[] {
  for (let i = 1; i < runsAtMs.length; i += 1) {
    const earlierMs = runsAtMs[i - 1];
    const laterMs = runsAtMs[i];
    if (earlierMs === undefined || laterMs === undefined) continue;
    const batchId = renderTemplate(template, laterMs, timeZone, scheduleName);
    if (renderTemplate(template, earlierMs, timeZone, scheduleName) !== batchId) continue;
    const isToTheSecond = template.includes('{datetime}') || (template.includes('{date}') && template.includes('{time}'));
    const fix = isToTheSecond
      ? `the clock of ${timeZone} repeats those times when daylight saving time ends: set "tz" to a zone without DST, such as "UTC"`
      : `use {datetime} (date and time to the second), e.g. "${template.replaceAll('{date}', '{datetime}')}"`;
    return [
      `gives two consecutive runs (due ${wallClock(earlierMs, timeZone)} and ${wallClock(laterMs, timeZone)} in ${timeZone}) the same batch "${batchId}", ` +
        `so the later would add nothing and the pattern would make fewer batches than runs; ${fix}`,
    ];
  }
  return [];
}
