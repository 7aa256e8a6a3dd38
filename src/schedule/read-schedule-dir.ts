import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ValidationError, type FieldIssue } from '../errors/imgbatch-error.js';
import { parseScheduleFile, SCHEDULE_FILE_SUFFIX, type ParseScheduleFileOptions } from './schedule-file.js';
import type { ScheduleJobData } from './schedule-job.js';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Every `*.schedule.json` in a folder (not its subfolders), validated, by name. All files are
 * checked before anything is returned, and every problem in every file is reported at once
 * (ValidationError, one issue per file and field): sync applies a folder whole or not at all,
 * so one bad file never makes its scheduler look deleted.
 */
export async function readScheduleDir(dir: string, options: Pick<ParseScheduleFileOptions, 'models' | 'callbackPolicy'> = {}): Promise<ScheduleJobData[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith(SCHEDULE_FILE_SUFFIX)).sort();
  } catch (error) {
    throw new ConfigError(`cannot read the schedules folder ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const schedules: ScheduleJobData[] = [];
  const issues: FieldIssue[] = [];
  const fileOfName = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const schedule = parseScheduleFile(file, await readFile(file, 'utf8'), options);
      if (schedule.source.kind === 'csv' && !(await isFile(schedule.source.path))) {
        issues.push({ location: file, field: 'csv', reason: `no file at ${schedule.source.path} (paths are relative to the schedule file)` });
        continue;
      }
      const other = fileOfName.get(schedule.name);
      if (other !== undefined) {
        issues.push({ location: file, field: 'name', reason: `"${schedule.name}" is already the name of ${other}; names must be unique` });
        continue;
      }
      fileOfName.set(schedule.name, file);
      schedules.push(schedule);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return schedules.sort((a, b) => a.name.localeCompare(b.name));
}
