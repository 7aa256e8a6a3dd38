import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { FetchError, type FetchRefusal } from './fetch-error.js';
import { classifyAddress } from './classify-address.js';

export interface BoundedFetchOptions {
  /** Largest body accepted, bytes; a bigger one is refused (`too_large`) without reading the rest. Required. */
  readonly maxBytes: number;
  /** Longest the whole fetch (redirects and body included) may take, ms; then `timeout`. Required. */
  readonly timeoutMs: number;
  /** Same-host redirects followed; default 3. A redirect to another host is always refused. */
  readonly maxRedirects?: number;
  /** Allow private and link-local addresses (10/8, 192.168/16, 169.254/16, fc00::/7, ...); default false. */
  readonly allowPrivateAddresses?: boolean;
  /** Allow loopback addresses, and plain `http://` to them (a local simulator or test server); default false. */
  readonly allowLoopback?: boolean;
  /** Extra request headers (e.g. a bearer token); default none. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FetchedBody {
  readonly bytes: Buffer;
  /** The `content-type` response header, if any. */
  readonly contentType: string | undefined;
  /** The URL the body came from, after same-host redirects. */
  readonly url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 3;

function refuse(url: string, reason: FetchRefusal, detail: string, options: { isTransient?: boolean; status?: number; cause?: unknown } = {}): FetchError {
  return new FetchError(url, reason, detail, options);
}

function isAllowedAddress(address: string, options: BoundedFetchOptions): boolean {
  const kind = classifyAddress(address);
  if (kind === 'public') return true;
  if (kind === 'loopback') return options.allowLoopback === true;
  return options.allowPrivateAddresses === true;
}

function describeDenied(address: string): string {
  return classifyAddress(address) === 'loopback'
    ? `${address} is a loopback address (allowed only for a local simulator or test server when configured)`
    : `${address} is a private or link-local address (not allowed unless the config allows private addresses)`;
}

/** Checks scheme and, for an IP literal, the address, before any connection. */
function checkUrl(url: URL, options: BoundedFetchOptions): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'https:') {
    if (isIP(host) !== 0 && !isAllowedAddress(host, options)) throw refuse(url.href, 'address', describeDenied(host));
    return;
  }
  if (url.protocol === 'http:') {
    // Plain http only to loopback, where nothing travels over a network.
    const isLoopbackName = host === 'localhost' || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');
    if (isLoopbackName && options.allowLoopback === true) return;
    throw refuse(url.href, 'scheme', 'only https:// URLs are fetched (http:// only to a loopback simulator or test server when configured)');
  }
  throw refuse(url.href, 'scheme', `${url.protocol} URLs are not fetched; use https://`);
}

/**
 * A DNS lookup that refuses names resolving to a denied address. It runs for the connection
 * itself, so the address checked is the address connected to: a name that resolves to a public
 * address when checked and a private one when used (DNS rebinding) cannot slip through.
 */
function guardedLookup(options: BoundedFetchOptions): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...(lookupOptions), all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) {
        callback(error, '', 4);
        return;
      }
      const denied = addresses.find((entry) => !isAllowedAddress(entry.address, options));
      if (denied !== undefined) {
        callback(Object.assign(new Error(describeDenied(denied.address)), { code: 'IMGBATCH_ADDRESS_DENIED' }), '', 4);
        return;
      }
      if ((lookupOptions).all === true) {
        (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
        return;
      }
      const first = addresses[0];
      if (first === undefined) {
        callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

function send(url: URL, options: BoundedFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers: { ...options.headers }, signal, lookup: guardedLookup(options), agent: false },
      resolve,
    );
    request.on('error', reject);
    request.end();
  });
}

async function readCapped(response: IncomingMessage, url: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      throw refuse(url, 'too_large', `the body is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function translate(thrown: unknown, url: string, signal: AbortSignal, timeoutMs: number): FetchError {
  if (thrown instanceof FetchError) return thrown;
  if (signal.aborted) return refuse(url, 'timeout', `no complete answer within ${timeoutMs} ms`, { isTransient: true, cause: thrown });
  const code = thrown instanceof Error ? (thrown as NodeJS.ErrnoException).code : undefined;
  if (code === 'IMGBATCH_ADDRESS_DENIED') return refuse(url, 'address', (thrown as Error).message, { cause: thrown });
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  // A name that does not resolve will not start to; connection resets and refusals may pass.
  return refuse(url, 'network', message, { isTransient: code !== 'ENOTFOUND', cause: thrown });
}

/**
 * One GET under the rules every outbound fetch of imgbatch follows (input images named by URL,
 * and later the download of `url` answers): https only (plain http only to loopback, when
 * allowed); no private, link-local or loopback address unless allowed, checked on the address
 * actually connected to; redirects followed only within the same host; the body capped at
 * `maxBytes` (by Content-Length up front, and by counting); the whole exchange bounded by
 * `timeoutMs`. Makes exactly one try: the caller owns retries (`FetchError.isTransient`).
 *
 * @throws FetchError naming the URL and the rule it broke.
 */
export async function boundedFetch(input: string, options: BoundedFetchOptions): Promise<FetchedBody> {
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw refuse(input, 'scheme', 'is not a URL', { cause: error });
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const host = url.host;
  for (let redirects = 0; ; redirects++) {
    checkUrl(url, options);
    let response: IncomingMessage;
    try {
      response = await send(url, options, signal);
    } catch (thrown) {
      throw translate(thrown, url.href, signal, options.timeoutMs);
    }
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      response.resume();
      const location = response.headers.location;
      if (location === undefined) throw refuse(url.href, 'http_status', `HTTP ${status} without a Location header`, { status });
      const next = new URL(location, url);
      // Another host is another trust decision (and a classic way to reach an internal address).
      if (next.host !== host) throw refuse(url.href, 'redirect', `redirects to another host (${next.host}); only redirects within ${host} are followed`, { status });
      if (redirects >= maxRedirects) throw refuse(url.href, 'redirect', `more than ${maxRedirects} redirects`, { status });
      url = next;
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      const isTransient = status === 408 || status === 429 || status >= 500;
      throw refuse(url.href, 'http_status', `HTTP ${status}`, { isTransient, status });
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      response.destroy();
      throw refuse(url.href, 'too_large', `${declared} bytes is over the limit of ${options.maxBytes} bytes`);
    }
    try {
      const bytes = await readCapped(response, url.href, options.maxBytes);
      return { bytes, contentType: response.headers['content-type'], url: url.href };
    } catch (thrown) {
      throw translate(thrown, url.href, signal, options.timeoutMs);
    }
  }
}
