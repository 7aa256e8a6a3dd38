import { readFileSync } from 'node:fs';

/**
 * imgbatch's version as its package.json gives it, read when asked. The file is two folders up
 * from this module both where it is run from source (src/cli, through tsx) and where it is
 * built to (dist/cli), and npm always packs package.json, so the one path serves both.
 */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('package.json has no "version"');
  return manifest.version;
}
