import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { strayDevDependencies } from '../../helpers/installed-packages.js';
import { makeNodeBaseRootfs } from '../../helpers/local-node-base-image.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { atLowPriority, isOnPath, runCommand, runCommandOrThrow, type CommandResult } from '../../helpers/run-command.js';

const BASE_IMAGE = 'localhost/imgbatch-test-node:24';
const IMAGE = 'localhost/imgbatch:test';
const CSV = ['id,prompt,n,model,size,quality', 'mug,A red mug on a white table,1,gpt-image-1-mini,1024x1024,low', 'kite,A kite over a beach,2,gpt-image-1-mini,1024x1024,low'].join('\n');
const IMAGES = 3;

interface ImageConfig {
  readonly User: string;
  readonly Env: readonly string[];
  readonly WorkingDir: string;
  readonly Entrypoint: readonly string[];
  readonly Healthcheck?: { readonly Test: readonly string[] };
}

/** Native add-ons in node_modules: the base image needs the system libraries they load. */
async function nativeModules(): Promise<string[]> {
  const entries = await readdir('node_modules', { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.node$|\.so(\.\d+)*$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/**
 * buildah's storage driver here: overlay where the kernel lets it mount one (each step's layer
 * holds only what the step changed), else vfs, which works anywhere but copies the whole file
 * system for every container and layer: most of this file's time on a two-core machine, in
 * system CPU taken from the tests beside it (vfs: 195 s, 1 min 51 s of it system time).
 */
async function storageDriver(dir: string): Promise<'overlay' | 'vfs'> {
  const probe = ['--root', join(dir, 'probe'), '--runroot', join(dir, 'probe-run'), '--storage-driver', 'overlay'];
  const from = await runCommand('buildah', [...probe, 'from', 'scratch']);
  const mounted = from.code === 0 ? await runCommand('buildah', [...probe, 'mount', from.stdout.trim()]) : from;
  await runCommand('buildah', [...probe, 'rm', '--all']);
  await rm(join(dir, 'probe'), { recursive: true, force: true });
  return mounted.code === 0 ? 'overlay' : 'vfs';
}

/**
 * The Dockerfile, built by buildah (no daemon; storage in a folder of its own, removed
 * afterwards) FROM a Node 24 base made here, because no registry image can be pulled on this
 * machine. Then the image's own root filesystem runs its entry point under chroot, as uid 1000,
 * with the image's environment and working directory, as a container runtime would.
 */
describe('the container image', () => {
  let work: string | undefined;
  let buildah: (args: readonly string[]) => Promise<CommandResult>;
  let rootfs: string;
  let config: ImageConfig;
  let redis: Redis;
  const prefix = uniquePrefix('image');

  function runInImage(args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
    const [uid = '', gid = uid] = config.User.split(':');
    const vars = [...config.Env, ...Object.entries(env).map(([key, value]) => `${key}=${value}`)];
    return runCommand('chroot', [`--userspec=${uid}:${gid}`, rootfs, '/usr/bin/env', '-i', '-C', config.WorkingDir, ...vars, ...config.Entrypoint, ...args]);
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('building and running the image needs root (buildah with chroot isolation, chroot(8))');
    if (!(await isOnPath('buildah'))) throw new Error("buildah is not on PATH: install Debian's buildah package (apt-get install buildah)");
    redis = connectTestRedis();
    const dir = await mkdtemp(join(tmpdir(), 'imgbatch-image-'));
    work = dir;
    const driver = await storageDriver(dir);
    const storage = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', driver];
    buildah = (args) => runCommandOrThrow(...atLowPriority('buildah', [...storage, ...args]), { env: { ...process.env } as Record<string, string> });

    const base = join(dir, 'base');
    const baseEnv = await makeNodeBaseRootfs(join(base, 'rootfs'), { nativeModules: await nativeModules() });
    await writeFile(join(base, 'Containerfile'), ['FROM scratch', 'COPY rootfs/ /', ...Object.entries(baseEnv).map(([key, value]) => `ENV ${key}=${value}`)].join('\n'));
    await buildah(['bud', '--isolation', 'chroot', '--format', 'docker', '-t', BASE_IMAGE, '-f', join(base, 'Containerfile'), base]);
    await rm(base, { recursive: true, force: true });
    // --format docker keeps HEALTHCHECK (the OCI format has none); --layers=false keeps vfs
    // from storing a full copy of the file system for every step. This machine's npm cache,
    // lent to the RUN steps, spares `npm ci` downloading what the checkout's own install did.
    const npmCache = (await runCommandOrThrow('npm', ['config', 'get', 'cache'], { env: { ...process.env } as Record<string, string> })).stdout.trim();
    await buildah(['bud', '--isolation', 'chroot', '--format', 'docker', '--layers=false', '--volume', `${npmCache}:/root/.npm`, '--build-arg', `NODE_IMAGE=${BASE_IMAGE}`, '-t', IMAGE, '-f', 'Dockerfile', '.']);

    const inspected = JSON.parse((await buildah(['inspect', '--type', 'image', IMAGE])).stdout) as { Docker: { config: ImageConfig } };
    config = inspected.Docker.config;
    const name = (await buildah(['from', IMAGE])).stdout.trim();
    rootfs = (await buildah(['mount', name])).stdout.trim();
    await writeFile(join(rootfs, 'tmp', 'tiny.csv'), CSV);
  }, 600_000);

  afterAll(async () => {
    // Every container goes (and with it its overlay mount) before its folder is removed.
    if (work !== undefined) await buildah(['rm', '--all']).catch(() => undefined);
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  }, 120_000);

  it('runs imgbatch as its entry point, as uid 1000, with a healthcheck that is in the image', async () => {
    expect(config.Entrypoint).toEqual(['imgbatch']);
    expect(config.User).toBe('1000:1000');
    const healthcheck = config.Healthcheck?.Test ?? [];
    expect(healthcheck.slice(0, 2)).toEqual(['CMD', 'node']);
    expect((await stat(join(rootfs, healthcheck[2] ?? 'missing'))).isFile()).toBe(true);
    // The working directory is the one place the user may write; the application is root's.
    expect((await stat(join(rootfs, config.WorkingDir))).uid).toBe(1000);
    expect((await stat(join(rootfs, 'app', 'dist'))).uid).toBe(0);
  });

  it('holds the production dependencies only', async () => {
    expect(await strayDevDependencies(join(rootfs, 'app', 'node_modules'))).toEqual([]);
    expect(await readdir(join(rootfs, 'app'))).not.toContain('src');
  });

  it('prints the version of the package it was built from', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const result = await runInImage(['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(version);
  });

  it('runs a batch on the embedded simulator and stores its images in the working directory', async () => {
    // chroot shares this machine's network: the test's own Redis is reachable on 127.0.0.1.
    const result = await runInImage(['run', '/tmp/tiny.csv'], { REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, HOME: '/tmp' });
    expect(result.code, result.stderr).toBe(0);
    const images = (await readdir(join(rootfs, config.WorkingDir, 'output', 'tiny'))).filter((name) => name.endsWith('.png'));
    expect(images).toHaveLength(IMAGES);
  });
});
