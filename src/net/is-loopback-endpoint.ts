import { isIP } from 'node:net';
import { classifyAddress } from './classify-address.js';

/** Whether a URL names this machine (`localhost` or a loopback address): where a local simulator listens. */
export function isLoopbackEndpoint(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return host === 'localhost' || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');
}
