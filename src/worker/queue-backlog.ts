import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';

/** How long an answer of `hasWaiting` is used again, ms: two commands at most this often per process. */
export const BACKLOG_RECHECK_MS = 250;

/**
 * Whether a job waiting in line should give its worker slot up (park) rather than hold it. The
 * waiting room orders the jobs that reached it; a job not fetched from BullMQ yet has no place
 * in it. So when this process has no free slot to fetch one and image jobs wait in BullMQ, a job
 * that is not near its turn parks, and the ones behind it reach the room: a batch that comes
 * behind a backlog takes turns with it at once. With a slot free, BullMQ fetches them anyway,
 * and once every job has been fetched, holding a slot costs nobody a place.
 */
export interface QueueBacklog {
  isSlotWanted(): Promise<boolean>;
}

/** `isFull` says whether every slot of this process is taken (free to ask: no Redis). */
export function createQueueBacklog(redis: RedisClient, keys: Pick<KeySpace, 'bullPrefix'>, isFull: () => boolean, now: () => number = Date.now): QueueBacklog {
  const waitKey = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:wait`;
  const prioritizedKey = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:prioritized`;
  let known: { readonly atMs: number; readonly isWaiting: boolean } | undefined;
  let reading: Promise<boolean> | undefined;
  async function read(): Promise<boolean> {
    const [waiting, prioritized] = await Promise.all([redis.llen(waitKey), redis.zcard(prioritizedKey)]);
    known = { atMs: now(), isWaiting: waiting + prioritized > 0 };
    return known.isWaiting;
  }
  return {
    isSlotWanted() {
      if (!isFull()) return Promise.resolve(false);
      if (known !== undefined && now() - known.atMs < BACKLOG_RECHECK_MS) return Promise.resolve(known.isWaiting);
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}
