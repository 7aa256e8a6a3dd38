import type { ArgsDef } from 'citty';
import { ValidationError } from '../errors/imgbatch-error.js';
import { JOB_PRIORITIES, type JobPriority } from '../job/job-priority.js';

/** `--priority high|normal|bulk`, shared by enqueue and run. */
export const priorityArgs = {
  priority: {
    type: 'string',
    description: `Who gets the deployments' next slots first: ${JOB_PRIORITIES.join(', ')}. The best priority waiting goes first; batches of one priority take turns. Default: normal`,
  },
} as const satisfies ArgsDef;

/** The `--priority` value, or undefined when not given; refuses anything but a known priority. */
export function parsePriority(text: string | undefined): JobPriority | undefined {
  if (text === undefined) return undefined;
  const priority = JOB_PRIORITIES.find((p) => p === text.trim().toLowerCase());
  if (priority === undefined) throw new ValidationError([{ field: '--priority', reason: `"${text}" is not a priority (one of ${JOB_PRIORITIES.join(', ')})` }]);
  return priority;
}
