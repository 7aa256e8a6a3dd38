import { z } from 'zod';
import { defineLuaCommands, luaCommand } from '../lua/lua-command.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { STORE_UNWRITABLE_CODES, type StoreUnwritable, type StoreUnwritableCode } from './store-write-failure.js';

/** The store breaker as every worker and `status` see it. */
export type StoreBreakerState =
  | { readonly kind: 'closed' }
  | {
      readonly kind: 'open';
      readonly code: StoreUnwritableCode;
      readonly message: string;
      /** Redis time the breaker opened, epoch ms. */
      readonly openedAt: number;
      /** Worker (host:pid) whose write failed first. */
      readonly openedBy: string;
    };

/** What a job's admission found: call, or wait (and why). */
export type StoreAdmissionState =
  | {
      readonly kind: 'open_for_calls';
      /** No image waits in any worker's spool: the answer holds for every image, not only these. */
      readonly spoolsEmpty: boolean;
    }
  | { readonly kind: 'store_paused'; readonly code: StoreUnwritableCode; readonly message: string; readonly openedAt: number }
  | { readonly kind: 'image_spooled'; readonly imageKey: string; readonly holder: string };

/**
 * The shared half of the store guard: the breaker every worker process reads before a call, and
 * the marks of images kept in some worker's spool. Lives in Redis so that one worker's failed
 * write stops the spending of all of them.
 */
export interface StoreBreaker {
  /** One round trip: is the breaker open, or is one of these images in a spool? */
  admission(imageKeys: readonly string[]): Promise<StoreAdmissionState>;
  state(): Promise<StoreBreakerState>;
  /** Opens the breaker (or keeps it open); true if this call opened it. */
  open(failure: StoreUnwritable, by: string): Promise<boolean>;
  /** Closes it: a probe write went through. */
  reset(): Promise<void>;
  /** Marks an image as kept in `holder`'s spool: no worker calls for it until it is unmarked. */
  markSpooled(imageKey: string, holder: string): Promise<void>;
  unmarkSpooled(imageKey: string): Promise<void>;
  /** How many images sit in spools, over every worker. */
  spooledCount(): Promise<number>;
}

interface BreakerCommands {
  imgbatchOpenStoreBreaker(key: string, code: string, message: string, by: string): Promise<number>;
  imgbatchCheckStoreAdmission(breakerKey: string, spooledKey: string, ...imageKeys: string[]): Promise<[string, string, string, string, string, number]>;
}

const file = (name: string): URL => new URL(`./lua/${name}`, import.meta.url);

const codeSchema = z.enum(STORE_UNWRITABLE_CODES);
const holderSchema = z.object({ holder: z.string() });

function holderOf(json: string): string {
  const parsed = holderSchema.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data.holder : 'an unknown worker';
}

/** The breaker on a worker or producer connection; `keys` gives its two Redis keys. */
export function createStoreBreaker(redis: RedisClient, keys: KeySpace): StoreBreaker {
  defineLuaCommands(redis, [
    luaCommand('imgbatchOpenStoreBreaker', file('open-store-breaker.lua'), 1),
    luaCommand('imgbatchCheckStoreAdmission', file('check-store-admission.lua'), 2),
  ]);
  const commands = redis as unknown as BreakerCommands;
  return {
    async admission(imageKeys) {
      const [code, message, openedAt, spooledKey, holder, spoolsEmpty] = await commands.imgbatchCheckStoreAdmission(keys.storeBreaker, keys.storeSpooled, ...imageKeys);
      if (code !== '') {
        // A code written by a newer version is still a paused store, shown as "unreachable".
        const known = codeSchema.safeParse(code);
        return { kind: 'store_paused', code: known.success ? known.data : 'unreachable', message, openedAt: Number(openedAt) };
      }
      if (spooledKey !== '') return { kind: 'image_spooled', imageKey: spooledKey, holder: holderOf(holder) };
      return { kind: 'open_for_calls', spoolsEmpty: spoolsEmpty === 1 };
    },
    async state() {
      const fields = await redis.hgetall(keys.storeBreaker);
      const code = codeSchema.safeParse(fields.code);
      if (fields.code === undefined) return { kind: 'closed' };
      return {
        kind: 'open',
        code: code.success ? code.data : 'unreachable',
        message: fields.message ?? '',
        openedAt: Number(fields.openedAt ?? 0),
        openedBy: fields.openedBy ?? '',
      };
    },
    async open(failure, by) {
      return (await commands.imgbatchOpenStoreBreaker(keys.storeBreaker, failure.code, failure.message, by)) === 1;
    },
    async reset() {
      await redis.del(keys.storeBreaker);
    },
    async markSpooled(imageKey, holder) {
      await redis.hset(keys.storeSpooled, imageKey, JSON.stringify({ holder, spooledAt: Date.now() }));
    },
    async unmarkSpooled(imageKey) {
      await redis.hdel(keys.storeSpooled, imageKey);
    },
    spooledCount() {
      return redis.hlen(keys.storeSpooled);
    },
  };
}
