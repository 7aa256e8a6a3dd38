import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/imgbatch-error.js';
import { compilePromptTemplate } from '../ingest/prompt-template.js';
import { safeIdSchema } from '../job/image-request.js';
import { jobPrioritySchema } from '../job/job-priority.js';
import { createJobPreparer } from '../job/prepare-jobs.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { callbackSchema } from '../webhooks/callback-schema.js';
import { checkCallbackUrl, type CallbackPolicy } from '../webhooks/check-callback-url.js';
import { checkBatchNameTemplate, checkConsecutiveRuns, isKnownTimeZone } from './batch-name-template.js';
import { nextRunTimes } from './next-run-times.js';
import { SCHEDULE_JOB_VERSION, type ScheduleJobData } from './schedule-job.js';

/** Schedule files are the files of a folder whose names end so, e.g. `nightly-banners.schedule.json`. */
export const SCHEDULE_FILE_SUFFIX = '.schedule.json';

// cron-parser 4 (BullMQ's) knows these and not `@annually`.
const CRON_NICKNAME = /^@(yearly|monthly|weekly|daily|hourly)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

/**
 * A cron pattern as BullMQ's parser takes it: 5 fields (minute first), or 6 with seconds
 * first (`* * * * * *` is every second), or a nickname such as `@daily`. Only the shape is
 * checked here, for a message that says what a pattern looks like; values out of range are
 * refused by cron-parser when parseScheduleFile computes the next runs.
 */
function isCronPattern(pattern: string): boolean {
  if (CRON_NICKNAME.test(pattern)) return true;
  const fields = pattern.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
}

/**
 * Due times a template is tried on. A cron pattern fires at the same times of day on every day
 * it matches, so if a template repeats a name within a day, two of any three consecutive runs
 * share one; five leave a margin, and cost nothing even for an every-second pattern.
 */
const RUNS_CHECKED = 5;

/** The JSON a schedule file holds. */
const scheduleFileSchema = z
  .strictObject({
    /** Scheduler name; default: the file name without `.schedule.json`. */
    name: safeIdSchema.optional(),
    /** Cron pattern: `0 2 * * *` (02:00 daily), or 6 fields with seconds first. */
    cron: z
      .string({ error: 'is required: a cron pattern such as "0 2 * * *"' })
      .refine(isCronPattern, { error: (issue) => `${JSON.stringify(issue.input)} is not a cron pattern (5 fields such as "0 2 * * *", or 6 with seconds first)` }),
    /** IANA time zone the pattern and the batch name's date are read in; default `UTC`. */
    tz: z
      .string()
      .refine(isKnownTimeZone, { error: (issue) => `${JSON.stringify(issue.input)} is not a time zone (an IANA name such as "Europe/Paris" or "UTC")` })
      .default('UTC'),
    /** A CSV of requests, relative to the schedule file's folder. */
    csv: z.string().min(1, 'must not be empty').optional(),
    /** Requests as the HTTP API and library take them. */
    requests: z.array(z.unknown(), { error: 'must be an array of requests' }).min(1, 'must hold at least one request').optional(),
    /** CSV only: model for rows with an empty model cell. */
    model: z.string().min(1, 'must not be empty').optional(),
    /** CSV only: prompt template filled from each row's columns, e.g. "Banner for {product}". */
    prompt: z.string().min(1, 'must not be empty').optional(),
    /**
     * Batch-name template: `{date}` (YYYY-MM-DD in tz), `{datetime}` (to the second), `{time}`,
     * `{name}`; it must give consecutive runs of `cron` different names.
     */
    batch: z.string({ error: 'is required: a batch-name template such as "banners-{date}"' }).superRefine((template, ctx) => {
      for (const problem of checkBatchNameTemplate(template)) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** Budget of each run's batch, USD. */
    maxCostUsd: z.number({ error: 'must be a number of USD' }).positive('must be more than 0').optional(),
    /** Priority of each run's jobs (high, normal, bulk); default normal. */
    priority: jobPrioritySchema.optional(),
    /** Where each run's batch sends its webhook events: `{ "url": "https://…", "perImage": false }`. */
    callback: callbackSchema.optional(),
  })
  .superRefine((file, ctx) => {
    if ((file.csv === undefined) === (file.requests === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['csv'], message: 'give exactly one of "csv" (a file of requests) and "requests" (inline)' });
    }
    if (file.csv === undefined) {
      if (file.model !== undefined) ctx.addIssue({ code: 'custom', path: ['model'], message: 'applies to "csv" schedules only; inline requests name their model' });
      if (file.prompt !== undefined) ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'applies to "csv" schedules only' });
    }
  });

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '') || '(file)';
}

/** Inline requests checked as an enqueue would (schema, model capabilities, duplicate ids). */
function requestIssues(file: string, requests: readonly unknown[], models: ModelCatalogue | undefined): FieldIssue[] {
  const preparer = createJobPreparer({ batchId: 'schedule-check', ...(models !== undefined && { models }) });
  return requests.flatMap((request, index) => {
    const location = `requests[${index}]`;
    const prepared = preparer.prepare({ request, location, defaultId: `req-${index}` });
    if (prepared.kind === 'accepted') return [];
    return prepared.rejection.issues.map((issue) => ({ location: file, field: issue.field === '(request)' ? location : `${location}.${issue.field}`, reason: issue.reason }));
  });
}

export interface ParseScheduleFileOptions {
  /** Runs after this time (epoch ms) are the ones the batch-name template is tried on; default now. */
  readonly nowMs?: number;
  /** The models inline requests are checked against; default the built-in ones. */
  readonly models?: ModelCatalogue;
  /** Hosts a callback may name (the config's `webhooks`); default: a callback is refused with the reason (callbacks are off). */
  readonly callbackPolicy?: CallbackPolicy;
}

/**
 * Reads one schedule file's text into what its scheduler runs. Throws ValidationError whose
 * issues name the file and the field (`jobs/x.schedule.json: requests[2].n: ...`), for bad
 * JSON, unknown or missing fields, an unknown time zone, a cron pattern BullMQ would refuse, a
 * template without a date or one that gives consecutive runs the same batch (`{date}` on an
 * hourly pattern), and inline requests an enqueue would refuse.
 */
export function parseScheduleFile(file: string, text: string, options: ParseScheduleFileOptions = {}): ScheduleJobData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{ location: file, field: '(file)', reason: `is not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const parsed = scheduleFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((issue) => ({ location: file, field: fieldOf(issue.path), reason: issue.message })));
  }
  const data = parsed.data;
  const stem = basename(file).endsWith(SCHEDULE_FILE_SUFFIX) ? basename(file).slice(0, -SCHEDULE_FILE_SUFFIX.length) : basename(file);
  const name = data.name ?? stem;
  const issues: FieldIssue[] = [];
  if (!safeIdSchema.safeParse(name).success) {
    issues.push({ location: file, field: 'name', reason: `the file name gives "${name}", which is not a usable name: set "name" (letters, digits, ".", "_", "-")` });
  }
  const cron = data.cron.trim();
  let runsAtMs: number[] = [];
  try {
    runsAtMs = nextRunTimes(cron, data.tz, options.nowMs ?? Date.now(), RUNS_CHECKED);
  } catch (error) {
    issues.push({ location: file, field: 'cron', reason: `${JSON.stringify(cron)} is not a pattern BullMQ can run: ${error instanceof Error ? error.message : String(error)}` });
  }
  for (const problem of checkConsecutiveRuns(data.batch, runsAtMs, data.tz, name)) issues.push({ location: file, field: 'batch', reason: problem });
  if (data.requests !== undefined) issues.push(...requestIssues(file, data.requests, options.models));
  const callbackProblem = data.callback === undefined ? undefined : checkCallbackUrl(data.callback.url, options.callbackPolicy ?? { allowedHosts: [] });
  if (callbackProblem !== undefined) issues.push({ location: file, field: 'callback.url', reason: callbackProblem });
  if (data.prompt !== undefined) {
    try {
      compilePromptTemplate(data.prompt);
    } catch (error) {
      issues.push({ location: file, field: 'prompt', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const source: ScheduleJobData['source'] =
    data.csv !== undefined
      ? {
          kind: 'csv',
          // Relative to the schedule file, so a folder of schedules and CSVs moves as one.
          path: resolve(dirname(resolve(file)), data.csv),
          ...(data.model !== undefined && { defaultModel: data.model }),
          ...(data.prompt !== undefined && { promptTemplate: data.prompt }),
        }
      : { kind: 'requests', requests: data.requests ?? [] };
  return {
    v: SCHEDULE_JOB_VERSION,
    name,
    file,
    cron,
    tz: data.tz,
    batch: data.batch,
    source,
    ...(data.maxCostUsd !== undefined && { maxCostUsd: data.maxCostUsd }),
    ...(data.priority !== undefined && { priority: data.priority }),
    ...(data.callback !== undefined && { callback: data.callback }),
  };
}
