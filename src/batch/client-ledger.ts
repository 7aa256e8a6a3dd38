import { fromMicroUsd } from '../cost/micro-usd.js';
import { checkBatchId } from '../job/image-request.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { utcDay } from './utc-day.js';

/** What one API client has spent, USD. */
export interface ClientSpend {
  readonly client: string;
  /** On the current UTC day: what its daily cap is checked against. */
  readonly todayUsd: number;
  /** Over all time. */
  readonly totalUsd: number;
}

/**
 * Which API client made each batch, and what each client has spent. The spend itself is added
 * by the workers' settle script (batch-budget.ts), in the same step as the batch's, from the
 * `client` the batch header names.
 */
export interface ClientLedger {
  /**
   * Makes `client` the batch's client unless it already has one (the first enqueue decides,
   * atomically); returns the batch's client. Throws ValidationError for a malformed batch id.
   */
  claimBatch(batchId: string, client: string): Promise<string>;
  /** The client that made the batch; undefined for a batch made without one (CLI, library, other producers). */
  clientOf(batchId: string): Promise<string | undefined>;
  /** One client's spend, today (UTC, by `nowMs`) and in all. */
  spendOf(client: string, nowMs?: number): Promise<ClientSpend>;
  /** Every client that has spent anything, by name. */
  spends(nowMs?: number): Promise<ClientSpend[]>;
}

export function createClientLedger(redis: RedisClient, keys: KeySpace): ClientLedger {
  return {
    async claimBatch(batchId, client) {
      // Before the batch's first job, perhaps: a malformed id must not leave a stray key behind.
      checkBatchId(batchId);
      const [, owner] = (await redis.pipeline().hsetnx(keys.batch(batchId), 'client', client).hget(keys.batch(batchId), 'client').exec()) ?? [];
      const value = owner?.[1];
      return typeof value === 'string' ? value : client;
    },

    async clientOf(batchId) {
      return (await redis.hget(keys.batch(batchId), 'client')) ?? undefined;
    },

    async spendOf(client, nowMs = Date.now()) {
      const [total, today] = await Promise.all([redis.hget(keys.clientSpend, client), redis.hget(keys.clientSpendOn(utcDay(nowMs)), client)]);
      return { client, todayUsd: fromMicroUsd(Number(today ?? 0)), totalUsd: fromMicroUsd(Number(total ?? 0)) };
    },

    async spends(nowMs = Date.now()) {
      const [totals, today] = await Promise.all([redis.hgetall(keys.clientSpend), redis.hgetall(keys.clientSpendOn(utcDay(nowMs)))]);
      return Object.keys(totals)
        .sort()
        .map((client) => ({ client, todayUsd: fromMicroUsd(Number(today[client] ?? 0)), totalUsd: fromMicroUsd(Number(totals[client] ?? 0)) }));
    },
  };
}
