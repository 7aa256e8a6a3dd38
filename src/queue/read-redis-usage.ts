import type { Redis } from 'ioredis';

/** What a Redis server has done since its counters were last reset (CONFIG RESETSTAT). */
export interface RedisUsage {
  /** Calls by command, those run inside Lua scripts included (`hget`, `evalsha`, `config|resetstat`, ...). */
  readonly commands: Readonly<Record<string, number>>;
  /** Every call but the INFO and CONFIG commands a measurement sends itself. */
  readonly totalCommands: number;
  /** Bytes received from and sent to clients (INFO stats total_net_input_bytes, total_net_output_bytes). */
  readonly netInputBytes: number;
  readonly netOutputBytes: number;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const sep = line.indexOf(':');
    if (sep > 0 && !line.startsWith('#')) fields.set(line.slice(0, sep), line.slice(sep + 1));
  }
  return fields;
}

/**
 * Reads INFO commandstats and INFO stats of one server (not a cluster: each node counts its
 * own), for measuring what a piece of work costs Redis: reset with CONFIG RESETSTAT, do the
 * work, read.
 */
export async function readRedisUsage(redis: Redis): Promise<RedisUsage> {
  const [commandText, statsText] = await Promise.all([redis.info('commandstats'), redis.info('stats')]);
  const commands: Record<string, number> = {};
  let totalCommands = 0;
  for (const [field, value] of parseInfo(commandText)) {
    if (!field.startsWith('cmdstat_')) continue;
    const name = field.slice('cmdstat_'.length);
    const calls = Number(/(?:^|,)calls=(\d+)/.exec(value)?.[1] ?? 0);
    commands[name] = calls;
    if (name !== 'info' && name !== 'config' && !name.startsWith('config|')) totalCommands += calls;
  }
  const stats = parseInfo(statsText);
  return {
    commands,
    totalCommands,
    netInputBytes: Number(stats.get('total_net_input_bytes') ?? 0),
    netOutputBytes: Number(stats.get('total_net_output_bytes') ?? 0),
  };
}
