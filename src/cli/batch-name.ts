import { basename, extname } from 'node:path';
import { safeIdSchema } from '../job/image-request.js';

/** A batch id from a file name: `jobs/Spring Sale.csv` -> `Spring-Sale`. */
export function batchIdFromPath(path: string): string {
  const stem = basename(path, extname(path))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.+$/, '')
    .slice(0, 100);
  return safeIdSchema.safeParse(stem).success ? stem : 'batch';
}
