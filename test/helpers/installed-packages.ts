import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PackageManifest {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/** The top-level packages of a node_modules folder, by name, with their package.json. */
export async function installedPackages(nodeModules: string): Promise<Map<string, PackageManifest>> {
  const names = (await readdir(nodeModules)).filter((name) => !name.startsWith('.'));
  const scoped = await Promise.all(names.filter((name) => name.startsWith('@')).map(async (scope) => (await readdir(join(nodeModules, scope))).map((name) => `${scope}/${name}`)));
  const all = [...names.filter((name) => !name.startsWith('@')), ...scoped.flat()];
  const manifests = await Promise.all(all.map(async (name) => [name, JSON.parse(await readFile(join(nodeModules, name, 'package.json'), 'utf8')) as PackageManifest] as const));
  return new Map(manifests);
}

/**
 * Development dependencies of this project installed in `nodeModules` that no installed
 * package asks for. A development dependency may still arrive as some production package's
 * own dependency (apache-arrow depends on @types/node): only one nothing asks for is a leak.
 */
export async function strayDevDependencies(nodeModules: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { devDependencies: Record<string, string> };
  const installed = await installedPackages(nodeModules);
  const wanted = new Set([...installed.values()].flatMap((pkg) => [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]));
  return [...installed.keys()].filter((name) => name in manifest.devDependencies && !wanted.has(name));
}
