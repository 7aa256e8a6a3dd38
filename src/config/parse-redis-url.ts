import { ConfigError } from '../errors/imgbatch-error.js';

/** `redis://` and `rediss://` (TLS) reach one server; the `+cluster` forms a Redis Cluster. */
export const REDIS_URL_SCHEMES = ['redis', 'rediss', 'redis+cluster', 'rediss+cluster'] as const;

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface ParsedRedisUrl {
  /** A Redis Cluster: `nodes` are seeds, the client finds the rest. */
  readonly isCluster: boolean;
  readonly isTls: boolean;
  /** One node for a single server; one or more seeds for a cluster. */
  readonly nodes: readonly RedisNode[];
  /** ACL user (Redis 6+); absent for the `default` user. */
  readonly username?: string;
  readonly password?: string;
  /** Database number (single server only; a cluster has only 0). */
  readonly db?: number;
}

const DEFAULT_PORT = 6379;
const SCHEME = /^([a-z+]+):\/\//i;

function problem(what: string): ConfigError {
  return new ConfigError(`REDIS_URL: ${what} (expected redis[s]://[user:password@]host:port[/db] or redis[s]+cluster://[user:password@]host:port,host:port,...)`);
}

function parseNode(text: string): RedisNode {
  // [v6]:port, host:port or host.
  const match = /^(\[[0-9a-f:.]+\]|[^:/?#@[\]\s,]+)(?::(\d{1,5}))?$/i.exec(text);
  if (match === null) throw problem(`"${text}" is not host:port`);
  const [, rawHost = '', portText] = match;
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw problem(`port ${portText ?? ''} of ${rawHost} is not 1-65535`);
  return { host: rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost, port };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw problem(`the ${what} is not valid percent-encoding`);
  }
}

/**
 * Reads a Redis URL, single server or cluster, without ever putting its password in an error
 * message. A cluster URL lists seed nodes after one set of credentials:
 * `rediss+cluster://user:secret@10.0.0.1:6379,10.0.0.2:6379`. Throws ConfigError naming what
 * is wrong.
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw problem('no scheme');
  if (!(REDIS_URL_SCHEMES as readonly string[]).includes(scheme)) throw problem(`scheme "${scheme}" is not one of ${REDIS_URL_SCHEMES.join(', ')}`);
  const isCluster = scheme.endsWith('+cluster');
  const isTls = scheme.startsWith('rediss');
  const rest = url.slice(scheme.length + 3);
  // The last `@` ends the credentials: a password may hold `@`, `/` or `?` if the user did not
  // encode them, and hosts never hold `@`.
  const at = rest.lastIndexOf('@');
  const credentials = at === -1 ? undefined : rest.slice(0, at);
  const afterCredentials = rest.slice(at + 1);
  const pathStart = afterCredentials.search(/[/?#]/);
  const hosts = pathStart === -1 ? afterCredentials : afterCredentials.slice(0, pathStart);
  const tail = pathStart === -1 ? '' : afterCredentials.slice(pathStart);
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const user = colon === -1 ? credentials : credentials.slice(0, colon);
    if (user !== '') username = decode(user, 'user name');
    if (colon !== -1 && colon < credentials.length - 1) password = decode(credentials.slice(colon + 1), 'password');
  }
  if (hosts === '') throw problem('no host');
  const nodes = hosts.split(',').map((node) => parseNode(node.trim()));
  if (!isCluster && nodes.length > 1) throw problem(`${nodes.length} hosts given; list several only in a redis+cluster:// URL`);
  let db: number | undefined;
  const path = /^\/([^?#]*)/.exec(tail)?.[1] ?? '';
  if (path !== '') {
    if (!/^\d{1,2}$/.test(path)) throw problem(`database "${path}" is not a number`);
    if (isCluster && path !== '0') throw problem('a cluster has only database 0');
    db = Number(path);
  }
  return {
    isCluster,
    isTls,
    nodes,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(db !== undefined && { db }),
  };
}
