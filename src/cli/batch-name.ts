import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { safeIdSchema } from '../job/image-request.js';

/**
 * A batch id from a file name: `jobs/Spring Sale.csv` -> `Spring-Sale`, `café.csv` -> `cafe`.
 * A name with nothing usable left gets a short hash of itself rather than one shared fallback,
 * so two such files never share a batch (and so never share stored images).
 */
export function batchIdFromPath(path: string): string {
  const name = basename(path, extname(path));
  const stem = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
    .replace(/[.-]+$/, '');
  if (safeIdSchema.safeParse(stem).success) return stem;
  return `batch-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}
