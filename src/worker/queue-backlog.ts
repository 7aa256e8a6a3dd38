import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';

/** How long what `read` saw is used again, ms: four commands at most this often per process. */
export const BACKLOG_RECHECK_MS = 250;

/**
 * Whether a job waiting in line should give its worker slot up (park) rather than hold it. The
 * waiting room orders the jobs that reached it; a job not fetched from BullMQ yet has no place
 * in it. So when this process has no free slot to fetch one and jobs of another line wait in
 * BullMQ, a job that is not near its turn parks, and the ones behind it reach the room: a batch
 * that comes behind a backlog takes turns with it at once. With a slot free, BullMQ fetches
 * them anyway, and once every job has been fetched, holding a slot costs nobody a place.
 *
 * A job whose turn is near (maxSleepMs) keeps its slot even then: BullMQ puts a job it promotes from the
 * delayed set at the back of its wait list, so parked while thousands of jobs wait to be
 * fetched, it would come back only after all of them, its turn long gone, and the jobs behind
 * it in line would wait for it (bench:scale once saw every deployment idle for 2.4 s that way).
 * The jobs with far turns are the ones that park, and they make room for the backlog's.
 *
 * Nor does a job park for a backlog all of its own line (src/queue/unstarted-lines.ts): the job
 * fetched in its place would queue behind it. Parked jobs whose wake-up has come, and jobs
 * waiting beyond what the producer counted (other BullMQ clients, a resume), still want slots.
 */
export interface QueueBacklog {
  /**
   * `turnInMs`: how far the asking job's turn is, when it knows (not while it waits behind
   * the jobs of its line in this process); a turn within the near limit is never asked for.
   * `line`: the job's line (unstartedLineOf); without one, any job waiting counts.
   */
  isSlotWanted(turnInMs?: number, line?: string): Promise<boolean>;
}

/** What waits in BullMQ for a slot of a full process, as last read. */
interface Backlog {
  readonly atMs: number;
  /** Parked jobs due, or jobs in wait beyond those the producer counted as unstarted. */
  readonly isUncountedWaiting: boolean;
  /** The lines of the jobs the producer counted as unstarted. */
  readonly lines: readonly string[];
}

/**
 * `isFull` says whether every slot of this process is taken (free to ask: no Redis); a job whose
 * turn is within `nearMs` keeps its slot.
 */
export function createQueueBacklog(
  redis: RedisClient,
  keys: Pick<KeySpace, 'bullPrefix' | 'unstartedLines'>,
  isFull: () => boolean,
  nearMs: number,
  now: () => number = Date.now,
): QueueBacklog {
  const waitKey = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:wait`;
  const prioritizedKey = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:prioritized`;
  const delayedKey = `${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:delayed`;
  let known: Backlog | undefined;
  let reading: Promise<Backlog> | undefined;
  async function read(): Promise<Backlog> {
    // A parked job whose wake-up time has come is still in BullMQ's delayed set: BullMQ moves it
    // to wait only when this process fetches, and a full process does not fetch until one of its
    // jobs lets go. Its turn is now: it wants a slot more than a job waiting for a later turn.
    // (BullMQ scores a delayed job timestamp × 0x1000 + a counter, as promoteDelayedJobs reads.)
    const dueBefore = (now() + 1) * 0x1000 - 1;
    const [waiting, prioritized, due, counted] = await Promise.all([
      redis.llen(waitKey),
      redis.zcard(prioritizedKey),
      redis.zcount(delayedKey, 0, dueBefore),
      redis.hgetall(keys.unstartedLines),
    ]);
    // Few fields: one per model, priority and batch with jobs not started yet.
    const lines = Object.keys(counted).filter((line) => Number(counted[line]) > 0);
    const countedJobs = lines.reduce((sum, line) => sum + Number(counted[line]), 0);
    return { atMs: now(), isUncountedWaiting: due > 0 || waiting + prioritized > countedJobs, lines };
  }
  return {
    async isSlotWanted(turnInMs, line) {
      if ((turnInMs !== undefined && turnInMs <= nearMs) || !isFull()) return false;
      if (known === undefined || now() - known.atMs >= BACKLOG_RECHECK_MS) {
        reading ??= read().finally(() => {
          reading = undefined;
        });
        known = await reading;
      }
      return known.isUncountedWaiting || known.lines.some((other) => other !== line);
    },
  };
}
