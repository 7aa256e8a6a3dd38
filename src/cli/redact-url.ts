import { REDIS_URL_SCHEMES } from '../config/parse-redis-url.js';
import { redactRedisUrl } from '../config/redact-redis-url.js';

/**
 * A URL fit to print: any user name and password (a Redis access key, say) replaced. Redis
 * URLs, cluster ones included (`redis+cluster://user:pass@h1:1,h2:2`, which is no WHATWG URL),
 * go through the Redis URL reader's rules.
 */
export function redactUrl(url: string): string {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && (REDIS_URL_SCHEMES as readonly string[]).includes(scheme)) return redactRedisUrl(url);
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username === '' ? '' : '***';
    parsed.password = parsed.password === '' ? '' : '***';
    return parsed.toString();
  } catch {
    return '[unparsable URL]';
  }
}
