import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether a presented secret equals the expected one. Both sides are hashed first:
 * `timingSafeEqual` needs equal lengths, and equal-length digests make the compare take the
 * same time whatever was sent, so neither the secret nor its length leaks through timing.
 */
export function isTokenEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}
