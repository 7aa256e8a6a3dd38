import { BlockList, isIP } from 'node:net';

/**
 * What kind of network an IP address is on, for outbound fetches that must not reach inside
 * the machine or its network (server-side request forgery: a CSV cell or an API request naming
 * `http://169.254.169.254/` would otherwise read the cloud's metadata service).
 * - `loopback`: 127.0.0.0/8, ::1.
 * - `private`: everything not routed on the public internet: RFC 1918 (10/8, 172.16/12,
 *   192.168/16), carrier-grade NAT (100.64/10), link-local (169.254/16, fe80::/10, where cloud
 *   metadata services live), unique-local IPv6 (fc00::/7), "this network" (0/8, ::), benchmarking
 *   (198.18/15), IETF protocol assignments (192.0.0/24), multicast and reserved (224/3, ff00::/8).
 * - `public`: the rest.
 * Ranges from the IANA special-purpose address registries (RFC 6890).
 */
export type AddressKind = 'public' | 'loopback' | 'private';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

// ::ffff:10.0.0.1 reaches 10.0.0.1: judge an IPv4-mapped IPv6 address by its IPv4 part.
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Classifies an IP address (v4 or v6, without brackets); anything that is not an IP counts as private. */
export function classifyAddress(address: string): AddressKind {
  const mapped = MAPPED_IPV4.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip);
  if (family === 0) return 'private';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(ip, type)) return 'loopback';
  if (PRIVATE.check(ip, type)) return 'private';
  return 'public';
}
