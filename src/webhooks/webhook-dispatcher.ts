import type { BatchRegistry } from '../batch/batch-registry.js';
import type { ImageOutcome } from '../batch/image-outcome.js';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import type { WebhookDeliveryLog } from './webhook-delivery-state.js';
import { streamIdTimeMs, webhookEventId, type WebhookEvent, type WebhookEventType } from './webhook-event.js';
import { WEBHOOK_JOB_NAME, type WebhookQueue } from './webhook-queue.js';

export interface WebhookDispatcherOptions {
  /** A connection of its own: the dispatcher blocks on it while it waits for events. Closed by close(). */
  readonly connection: RedisClient;
  readonly keys: KeySpace;
  readonly registry: Pick<BatchRegistry, 'summary'>;
  readonly queue: WebhookQueue;
  readonly deliveries: WebhookDeliveryLog;
  /** This process's name in the consumer group (e.g. host:pid). */
  readonly consumerName: string;
  readonly logger: Logger;
  /** How long an event taken by a dispatcher that died stays with it before another takes it, ms. Default 60000. */
  readonly claimIdleMs?: number;
  /** Longest wait for new events in one read, ms; also how long close() may take. Default 2000. */
  readonly blockMs?: number;
}

export interface WebhookDispatcher {
  /** Stops taking events; an event in hand is handed over first. */
  close(): Promise<void>;
}

const GROUP = 'dispatchers';
const BATCH = 100;

type StreamEntry = [id: string, fields: string[]];

function fieldsOf(list: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i] ?? ''] = list[i + 1] ?? '';
  return fields;
}

/**
 * Moves webhook events from the outbox stream (written atomically with the outcomes that cause
 * them) into the delivery queue. A consumer group makes every event go to one dispatcher; one
 * that dies holding events loses them to another after `claimIdleMs`. The delivery job's id is
 * the event id, so an event handed over twice is delivered once.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { connection, keys, queue, logger } = options;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const blockMs = options.blockMs ?? 2_000;
  const state = { isClosing: false };

  async function eventFor(streamId: string, fields: Record<string, string>): Promise<WebhookEvent | undefined> {
    const id = webhookEventId(streamId);
    const createdAt = new Date(streamIdTimeMs(streamId)).toISOString();
    const batchId = fields.batchId ?? '';
    switch (fields.type as WebhookEventType) {
      case 'batch.ended':
        return { id, type: 'batch.ended', createdAt, batchId, data: await options.registry.summary(batchId) };
      case 'image.finished':
        return { id, type: 'image.finished', createdAt, batchId, data: { imageKey: fields.imageKey ?? '', outcome: (fields.outcome ?? '') as ImageOutcome } };
      default:
        return undefined;
    }
  }

  /**
   * Hands one page of outbox entries over to the delivery queue in a few round trips, whatever
   * its size: the jobs in one addBulk, their pending states in one pipeline, the acknowledgements
   * in another. Acknowledged only once the jobs exist: a crash before that leaves the entries
   * to be claimed again. Their job ids (the event ids) keep an event still queued from being
   * added twice; a delivered job leaves Redis at once, so an event the delivery log says is
   * over is not added again.
   */
  async function handOver(entries: readonly StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const found: WebhookEvent[] = [];
    for (const [streamId, list] of entries) {
      const event = await eventFor(streamId, fieldsOf(list));
      if (event === undefined) logger.warn({ streamId }, 'webhook outbox entry of an unknown type dropped');
      else found.push(event);
    }
    const finished = await options.deliveries.finishedOf(found.map((event) => ({ batchId: event.batchId, eventId: event.id })));
    const events = found.filter((event) => !finished.has(event.id));
    if (events.length > 0) {
      await queue.addBulk(
        events.map((event) => ({
          name: WEBHOOK_JOB_NAME,
          data: { eventId: event.id, type: event.type, batchId: event.batchId, body: JSON.stringify(event) },
          opts: { jobId: event.id },
        })),
      );
      await options.deliveries.writePending(events.map((event) => ({ batchId: event.batchId, eventId: event.id, type: event.type })));
    }
    const streamIds = entries.map(([streamId]) => streamId);
    await connection.pipeline().xack(keys.webhookOutbox, GROUP, ...streamIds).xdel(keys.webhookOutbox, ...streamIds).exec();
  }

  async function ensureGroup(): Promise<void> {
    try {
      // From the stream's start: events written before any dispatcher ever ran are delivered too.
      await connection.xgroup('CREATE', keys.webhookOutbox, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
  }

  async function claimAbandoned(): Promise<void> {
    let cursor = '0-0';
    do {
      const reply = (await connection.xautoclaim(keys.webhookOutbox, GROUP, options.consumerName, claimIdleMs, cursor, 'COUNT', BATCH)) as [string, StreamEntry[], ...unknown[]];
      cursor = reply[0];
      await handOver(reply[1].filter((entry): entry is StreamEntry => Array.isArray(entry[1])));
    } while (cursor !== '0-0' && !state.isClosing);
  }

  async function run(): Promise<void> {
    let hasGroup = false;
    let nextClaimAt = 0;
    while (!state.isClosing) {
      try {
        if (!hasGroup) {
          await ensureGroup();
          hasGroup = true;
        }
        if (Date.now() >= nextClaimAt) {
          await claimAbandoned();
          nextClaimAt = Date.now() + claimIdleMs;
        }
        const reply = (await connection.xreadgroup('GROUP', GROUP, options.consumerName, 'COUNT', BATCH, 'BLOCK', blockMs, 'STREAMS', keys.webhookOutbox, '>')) as
          | Array<[string, StreamEntry[]]>
          | null;
        for (const [, entries] of reply ?? []) await handOver(entries);
      } catch (error) {
        logger.error({ err: error }, 'webhook dispatcher: retrying after an error');
        // A Redis restarted without its data has lost the group too.
        hasGroup = false;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  const running = run();
  return {
    async close() {
      state.isClosing = true;
      await running;
      await connection.quit().catch(() => undefined);
    },
  };
}
