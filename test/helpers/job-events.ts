import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.js';

function fieldsOf(list: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] ?? ''] = list[i + 1] ?? '';
  return fields;
}

/**
 * Waits for a job's `completed` event in the queue's event stream and returns the job's return
 * value. Completed image jobs leave Redis as soon as their outcome is recorded, so their state
 * cannot be read afterwards; the event stream keeps what the worker returned.
 */
export async function waitForCompletion(redisUrl: string, queue: Queue, jobId: string, timeoutMs = 10_000): Promise<unknown> {
  const events = queue.keys.events;
  if (events === undefined) throw new Error('the queue has no event stream key');
  const client = new Redis(redisUrl);
  try {
    return await waitFor(
      async () => {
        const entries = await client.xrange(events, '-', '+');
        const completed = entries.map(([, list]) => fieldsOf(list)).find((fields) => fields.event === 'completed' && fields.jobId === jobId);
        return completed === undefined ? undefined : (JSON.parse(completed.returnvalue ?? 'null') as unknown);
      },
      timeoutMs,
      () => `job ${jobId} never completed`,
    );
  } finally {
    await client.quit();
  }
}

/** Waits until no job of the queue is waiting, delayed, prioritized or running: none is left that could act. */
export async function waitForIdleQueue(queue: Queue, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
      return Object.values(counts).every((count) => count === 0) ? true : undefined;
    },
    timeoutMs,
    () => 'jobs were still queued or running',
  );
}
