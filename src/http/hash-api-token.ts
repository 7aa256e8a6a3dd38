import { createHash } from 'node:crypto';

/**
 * How a client's token is kept in the config file: SHA-256, lower-case hex. A fast hash is
 * enough because tokens are random (`imgbatch tokens new`: 256 bits), not passwords: no
 * dictionary holds them, so a leaked config file gives nothing to guess from.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
