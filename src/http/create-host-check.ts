import { ValidationError } from '../errors/imgbatch-error.js';

/**
 * This machine's names as a browser writes them in Host. A page that rebinds its own DNS name
 * to 127.0.0.1 still sends its own name as Host (a browser never lets a page set Host), so
 * these are safe to answer even with auth off.
 */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `name` or `name:port`; a name is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)\.?(?::(\d{1,5}))?$/;

interface HostName {
  readonly name: string;
  readonly port: number | undefined;
}

function parseHost(text: string): HostName | undefined {
  const match = HOST_PATTERN.exec(text.trim().toLowerCase());
  if (match === null) return undefined;
  return { name: match[1] ?? '', port: match[2] === undefined ? undefined : Number(match[2]) };
}

export interface HostCheckOptions {
  /** Names (`name` or `name:port`) to answer besides the loopback names, or `*` for any; undefined: loopback only. */
  readonly allowedHosts: readonly string[] | undefined;
}

/** Whether a request's Host header names this server; `listeningPort` is the port it listens on (null before it does). */
export type HostCheck = (hostHeader: string | undefined, listeningPort: number | null) => boolean;

/**
 * The Host check that stops DNS rebinding: a web page whose name an attacker points at
 * 127.0.0.1 talks to this server from the victim's browser, same-origin, but with the page's
 * own name in Host. Answering only the names this server goes by turns those requests away.
 * The loopback names count only at the listening port: `localhost:3000` is another server.
 * An entry without a port matches any port (a proxy in front may use its own).
 */
export function createHostCheck(options: HostCheckOptions): HostCheck {
  const entries = options.allowedHosts ?? [];
  if (entries.includes('*')) return () => true;
  const allowed = entries.map((entry) => {
    const parsed = parseHost(entry);
    if (parsed === undefined) {
      throw new ValidationError([{ field: 'allowedHosts', reason: `${JSON.stringify(entry)} is not a host name, \`name:port\` or \`*\` (e.g. api.example.com or 10.0.0.5:8080)` }]);
    }
    return parsed;
  });
  return (hostHeader, listeningPort) => {
    const host = hostHeader === undefined ? undefined : parseHost(hostHeader);
    if (host === undefined) return false;
    // A browser leaves out the port when it is the scheme's default.
    const port = host.port ?? 80;
    if (LOOPBACK_NAMES.has(host.name) && port === listeningPort) return true;
    return allowed.some((entry) => entry.name === host.name && (entry.port === undefined || entry.port === host.port));
  };
}
