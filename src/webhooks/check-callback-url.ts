/** Where a batch's events may be sent. */
export interface CallbackPolicy {
  /**
   * Hosts a callback URL may name: exact names (`hooks.example.com`) or a leading wildcard for
   * sub-domains (`*.example.com`, which does not match `example.com` itself). Empty: no callbacks.
   */
  readonly allowedHosts: readonly string[];
  /** Also allow `http://` to loopback addresses (127.0.0.0/8, ::1, localhost): for local receivers and tests. Default false. */
  readonly allowLoopbackHttp?: boolean;
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function hostMatches(host: string, pattern: string): boolean {
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1)) && host.length > wanted.length - 1;
  return host === wanted;
}

/**
 * Why `url` may not receive a batch's events, or undefined when it may: https to a host on the
 * allow-list, no credentials in the URL. Checked at enqueue (a refused URL refuses the batch
 * before anything is spent) and again before each delivery (the list may have changed).
 */
export function checkCallbackUrl(url: string, policy: CallbackPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  const host = parsed.hostname.toLowerCase();
  const isLoopbackHttp = parsed.protocol === 'http:' && policy.allowLoopbackHttp === true && LOOPBACK_HOSTS.test(host);
  if (parsed.protocol !== 'https:' && !isLoopbackHttp) return `${parsed.protocol}// is not allowed: callbacks go over https`;
  if (parsed.username !== '' || parsed.password !== '') return 'a callback URL may not hold credentials (events are signed instead)';
  if (policy.allowedHosts.length === 0) return 'callbacks are off: the config file lists no webhooks.allowedHosts';
  if (!policy.allowedHosts.some((pattern) => hostMatches(host, pattern))) {
    return `host ${host} is not on the config file's webhooks.allowedHosts (${policy.allowedHosts.join(', ')})`;
  }
  return undefined;
}
