import { z } from 'zod';

/**
 * How soon a job wants the quota: `high` (an app waiting for it), `normal`, `bulk` (a backlog
 * that can drain whenever). The deployments' next slots go to the best priority waiting; within
 * one, batches take turns (src/limiter/lua/includes/waiting-room.lua).
 */
export const JOB_PRIORITIES = ['high', 'normal', 'bulk'] as const;

export type JobPriority = (typeof JOB_PRIORITIES)[number];

/** A job or batch without one is `normal`. */
export const DEFAULT_JOB_PRIORITY: JobPriority = 'normal';

export const jobPrioritySchema = z.enum(JOB_PRIORITIES, { error: `must be one of ${JOB_PRIORITIES.join(', ')}` });

/** Whether a stored text (a batch header field, a job's data from another client) names a priority. */
export function isJobPriority(value: unknown): value is JobPriority {
  return JOB_PRIORITIES.some((priority) => priority === value);
}

/** The priority's rank in the limiter's waiting room: 1 is served first. */
export function priorityRank(priority: JobPriority): number {
  switch (priority) {
    case 'high':
      return 1;
    case 'normal':
      return 2;
    case 'bulk':
      return 3;
  }
}
