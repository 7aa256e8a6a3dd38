import { Cluster } from 'ioredis';
import type { RedisClient } from '../queue/redis-connection.js';
import { loadLuaScript } from './load-lua-script.js';

/** One Lua script run as a custom command of an ioredis client. */
export interface LuaCommand {
  /** The method name ioredis gives the command on a client, e.g. `imgbatchAcquireSlot`. */
  readonly name: string;
  /** The expanded source (includes resolved). */
  readonly lua: string;
  /** Keys the command takes before its arguments; undefined: the caller passes the count first. */
  readonly numberOfKeys?: number;
}

/** A command from a `.lua` file; `file` is resolved beside the calling module: `new URL('./lua/x.lua', import.meta.url)`. */
export function luaCommand(name: string, file: URL, numberOfKeys?: number): LuaCommand {
  return { name, lua: loadLuaScript(file), ...(numberOfKeys !== undefined && { numberOfKeys }) };
}

/** The commands each client was given here, for {@link preloadLuaCommands}. */
const definedOn = new WeakMap<RedisClient, Map<string, LuaCommand>>();

/**
 * Defines the commands on a client. ioredis sends each as EVALSHA and falls back to EVAL the
 * first time a server does not know the script yet (NOSCRIPT): one extra round trip, unless
 * the script was loaded ahead with {@link preloadLuaCommands}.
 */
export function defineLuaCommands(redis: RedisClient, commands: readonly LuaCommand[]): void {
  const defined = definedOn.get(redis) ?? new Map<string, LuaCommand>();
  definedOn.set(redis, defined);
  for (const command of commands) {
    redis.defineCommand(command.name, command.numberOfKeys === undefined ? { lua: command.lua } : { lua: command.lua, numberOfKeys: command.numberOfKeys });
    defined.set(command.name, command);
  }
}

/**
 * Loads scripts into Redis's script cache (every master of a cluster), so that their first use
 * is one round trip: `commands`, or by default every command defined on this client with
 * {@link defineLuaCommands}. For the moments where time counts: between a rate-limit slot and
 * the call it times, a NOSCRIPT reply and a script compiled on the spot make the call late.
 */
export async function preloadLuaCommands(redis: RedisClient, commands: readonly LuaCommand[] = [...(definedOn.get(redis)?.values() ?? [])]): Promise<void> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  await Promise.all(servers.flatMap((server) => commands.map((command) => server.script('LOAD', command.lua))));
}
