import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runCommand, runCommandOrThrow } from './run-command.js';

/**
 * The programs the Dockerfile's build stage runs besides node and npm: `sh` for RUN and npm
 * scripts, `env` for `#!/usr/bin/env node` bins, and the tools of its RUN line.
 */
const TOOLS = ['sh', 'env', 'find', 'ln', 'mkdir', 'rm'];

/** System libraries a binary loads, as `ldd` resolves them on this machine. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const result = await runCommand('ldd', [binary]);
  if (result.code !== 0) return [];
  return [...result.stdout.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((match) => match[1] ?? '').filter((path) => path !== '');
}

async function copyInto(rootfs: string, source: string, target: string = source): Promise<void> {
  await mkdir(dirname(join(rootfs, target)), { recursive: true });
  await copyFile(await realpath(source), join(rootfs, target));
}

export interface BaseRootfsOptions {
  /** The Node binary to put at /usr/local/bin/node (default: the one running the tests). */
  readonly node?: string;
  /** Native add-ons and libraries whose system libraries the image must hold too (sharp's libvips needs libresolv). */
  readonly nativeModules?: readonly string[];
}

const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * A minimal root filesystem laid out like the official node:24-slim image, for building the
 * Dockerfile where no registry can be reached: Node at /usr/local/bin/node, npm (this
 * machine's) under /usr/local/lib/node_modules, the shell tools the build stage runs, every
 * system library those load (by `ldd`), users root and node (1000), and this machine's CA
 * bundle when NODE_EXTRA_CA_CERTS names one (a TLS-inspecting proxy stands between this
 * machine and the npm registry; the base image has to trust what the machine trusts).
 * Returns the environment the base image should set.
 */
export async function makeNodeBaseRootfs(rootfs: string, options: BaseRootfsOptions = {}): Promise<Record<string, string>> {
  const node = options.node ?? process.execPath;
  const binaries: [string, string][] = [[node, '/usr/local/bin/node']];
  for (const tool of TOOLS) {
    const found = await runCommandOrThrow('sh', ['-c', `command -v ${tool}`]);
    binaries.push([found.stdout.trim(), tool === 'sh' ? '/bin/sh' : `/usr/bin/${tool}`]);
  }
  const libraries = new Set<string>();
  for (const path of [...binaries.map(([source]) => source), ...(options.nativeModules ?? [])]) {
    for (const library of await sharedLibraries(path)) if (!library.includes('/node_modules/')) libraries.add(library);
  }
  for (const [source, target] of binaries) await copyInto(rootfs, source, target);
  for (const library of libraries) await copyInto(rootfs, library);

  // npm is JavaScript: this machine's copy runs on any Node.
  const npmCli = await realpath((await runCommandOrThrow('sh', ['-c', 'command -v npm'])).stdout.trim());
  const npmPackage = dirname(dirname(npmCli));
  await mkdir(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
  await cp(npmPackage, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));

  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  for (const dir of ['root', 'home/node', 'tmp']) await mkdir(join(rootfs, dir), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);

  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  // CI may run without NODE_EXTRA_CA_CERTS in its environment; the machine's own bundle (Debian's
  // path) then holds what it trusts, proxy included.
  const caBundle = process.env.NODE_EXTRA_CA_CERTS ?? (existsSync(SYSTEM_CA_BUNDLE) ? SYSTEM_CA_BUNDLE : undefined);
  if (caBundle !== undefined && caBundle !== '') {
    await copyInto(rootfs, caBundle);
    env.NODE_EXTRA_CA_CERTS = caBundle;
  }
  return env;
}
