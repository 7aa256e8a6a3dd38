import { ConfigError } from '../errors/imgbatch-error.js';
import { hasRedisServerBinary, isPortOpen, startRedisServer } from './redis-server-process.js';

export interface EnsuredRedis {
  readonly url: string;
  /** Where it came from, for the summary: REDIS_URL, the usual local port, or started for this run. */
  readonly source: 'configured' | 'local' | 'started';
  stop(): Promise<void>;
}

/**
 * REDIS_URL when set; otherwise a Redis already on 127.0.0.1:6379; otherwise a redis-server
 * from PATH on a free port, stopped when the run ends.
 */
export async function ensureRedis(configuredUrl: string | undefined, options: { localPort?: number } = {}): Promise<EnsuredRedis> {
  const nothing = (): Promise<void> => Promise.resolve();
  const localPort = options.localPort ?? 6379;
  if (configuredUrl !== undefined) return { url: configuredUrl, source: 'configured', stop: nothing };
  if (await isPortOpen(localPort)) return { url: `redis://127.0.0.1:${localPort}`, source: 'local', stop: nothing };
  if (!hasRedisServerBinary()) {
    throw new ConfigError(
      `no Redis found: REDIS_URL is not set, nothing answers on 127.0.0.1:${localPort}, and redis-server is not on PATH. ` +
        'Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ' +
        'run one (docker compose up -d redis), or set REDIS_URL=redis://host:6379.',
    );
  }
  const server = await startRedisServer();
  return { url: server.url, source: 'started', stop: () => server.stop() };
}
