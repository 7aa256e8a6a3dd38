import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_CONFIG_DIR,
  formatSimulatorDeployments,
  formatSimulatorOptions,
  SIMULATOR_DEPLOYMENTS_FILE,
  SIMULATOR_OPTIONS_FILE,
} from '../../../scripts/compose/compose-simulator-config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { lifecycleOf } from '../../../src/models/lifecycle-of.js';
import { parseSimulatorOptions } from '../../../src/simulator/simulator-options.js';
import { LONGEST_CALL_TIMEOUT_S } from '../../helpers/longest-call-timeout.js';
import { isOnPath, runCommand } from '../../helpers/run-command.js';

interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly environment?: Record<string, string | null>;
  readonly volumes?: readonly (string | { source?: string; target: string })[];
  readonly ports?: readonly unknown[];
  readonly profiles?: readonly string[];
  readonly depends_on?: Record<string, { condition?: string }> | readonly string[];
  readonly restart?: string;
  readonly healthcheck?: { disable?: boolean; test?: unknown };
  readonly stop_grace_period?: string;
  readonly container_name?: string;
}

interface ComposeFile {
  readonly services: Record<string, ComposeService>;
}

const IMGBATCH_SERVICES = ['simulator', 'worker', 'api', 'worker-azure', 'api-azure'];

/**
 * `docker-compose config` (Debian's docker-compose package) in an empty environment but for
 * `variables`: the machine's own variables and any .env file beside the compose file are kept
 * out (an empty --env-file), so the test sees what a user with nothing set sees.
 */
async function composeConfig(emptyEnvFile: string, options: { profile?: string; variables?: Record<string, string> } = {}): Promise<ComposeFile> {
  const args = ['--env-file', emptyEnvFile, ...(options.profile === undefined ? [] : ['--profile', options.profile]), 'config'];
  const result = await runCommand('docker-compose', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.variables } });
  if (result.code !== 0) throw new Error(`docker-compose ${args.join(' ')} failed (${String(result.code)}): ${result.stderr}`);
  return parse(result.stdout) as ComposeFile;
}

function service(file: ComposeFile, name: string): ComposeService {
  const found = file.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** Services `docker compose up` starts with these profiles enabled: those without a profile, and those in one of them. */
function activeServices(file: ComposeFile, profiles: readonly string[]): string[] {
  return Object.entries(file.services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.some((p) => profiles.includes(p)))
    .map(([name]) => name)
    .sort();
}

function dependencies(s: ComposeService): string[] {
  if (s.depends_on === undefined) return [];
  return Array.isArray(s.depends_on) ? [...(s.depends_on as readonly string[])] : Object.keys(s.depends_on);
}

/** What `docker compose up -d <names>` starts: the services named and, transitively, what they depend on. */
function startedBy(file: ComposeFile, names: readonly string[]): string[] {
  const started = new Set<string>();
  const visit = (name: string): void => {
    if (started.has(name)) return;
    started.add(name);
    dependencies(service(file, name)).forEach(visit);
  };
  names.forEach(visit);
  return [...started].sort();
}

/** The environment of a service as its container gets it (env_file lines included). */
function environmentOf(s: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([key, value]) => [key, value ?? '']));
}

/** Maps a path inside a service's container to the host path its bind mount comes from. */
function hostPath(s: ComposeService, containerPath: string): string {
  for (const volume of s.volumes ?? []) {
    const parts: readonly (string | undefined)[] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target];
    const [source, target] = parts;
    if (source !== undefined && target !== undefined && source.startsWith('/') && containerPath.startsWith(`${target}/`)) return join(source, containerPath.slice(target.length));
  }
  throw new Error(`no bind mount of the service holds ${containerPath}`);
}

/** loadConfig as the service's container would run it, its config file read through the bind mount. */
function configOf(s: ComposeService): ReturnType<typeof loadConfig> {
  const env = environmentOf(s);
  const configPath = env.IMGBATCH_CONFIG;
  return loadConfig({ env: configPath === undefined || configPath === '' ? env : { ...env, IMGBATCH_CONFIG: hostPath(s, configPath) }, cwd: '/data' });
}

function seconds(duration: string | undefined): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(duration ?? '');
  if (duration === undefined || match === null) throw new Error(`not a duration: ${String(duration)}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

describe('docker-compose.yml', () => {
  let work: string;
  let emptyEnvFile: string;

  beforeAll(async () => {
    if (!(await isOnPath('docker-compose'))) {
      throw new Error("docker-compose is not on PATH: these tests validate docker-compose.yml with it. Install Debian's docker-compose package (apt-get install docker-compose).");
    }
    work = await mkdtemp(join(tmpdir(), 'imgbatch-compose-'));
    emptyEnvFile = join(work, 'empty.env');
    await writeFile(emptyEnvFile, '');
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('is valid with no variable set, and `up -d redis` starts Redis alone, durable and never evicting', async () => {
    const file = await composeConfig(emptyEnvFile);
    expect(startedBy(file, ['redis'])).toEqual(['redis']);
    const redis = service(file, 'redis');
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.command?.indexOf('noeviction')).toBe((redis.command?.indexOf('--maxmemory-policy') ?? -2) + 1);
    expect(redis.restart).toBe('unless-stopped');
    expect(redis.healthcheck?.test).toBeDefined();
  });

  it('by default runs Redis, Azurite, the simulator, workers and the API, every imgbatch service from the built image and none installing anything at start', async () => {
    const file = await composeConfig(emptyEnvFile);
    expect(activeServices(file, [])).toEqual(['api', 'azurite', 'redis', 'simulator', 'worker']);
    // The image's HEALTHCHECK command; a service that sets its own timings repeats it exactly.
    const dockerfile = await readFile('Dockerfile', 'utf8');
    const imageHealthcheck = JSON.parse(/^HEALTHCHECK [^\n]*?(?:\\\n[^\n]*?)*CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[] | null;
    expect(imageHealthcheck).not.toBeNull();
    for (const name of IMGBATCH_SERVICES) {
      const s = service(file, name);
      expect(s.build, name).toBeDefined();
      expect(s.image, name).toBe(service(file, 'worker').image);
      expect(JSON.stringify([s.entrypoint ?? [], s.command ?? []]), name).not.toMatch(/npm|npx|yarn|pnpm/);
      expect(s.restart, name).toBe('unless-stopped');
      // The image's HEALTHCHECK (serve: /healthz, simulate: /_sim/health, worker: running) stays on.
      expect(s.healthcheck?.disable, name).not.toBe(true);
      if (s.healthcheck?.test !== undefined) expect(s.healthcheck.test, name).toEqual(['CMD', ...(imageHealthcheck ?? [])]);
    }
    for (const name of ['worker', 'worker-azure']) {
      const worker = service(file, name);
      // --scale needs services without a fixed container name or a published port.
      expect(worker.container_name, name).toBeUndefined();
      expect(worker.ports ?? [], name).toEqual([]);
      expect(seconds(worker.stop_grace_period), name).toBeGreaterThanOrEqual(LONGEST_CALL_TIMEOUT_S);
    }
    // Whatever a service waits to be healthy has a healthcheck: its own or the image's.
    for (const [name, s] of Object.entries(file.services)) {
      if (s.depends_on === undefined || Array.isArray(s.depends_on)) continue;
      for (const [dependency, { condition }] of Object.entries(s.depends_on as Record<string, { condition?: string }>)) {
        if (condition !== 'service_healthy') continue;
        const target = service(file, dependency);
        expect(target.healthcheck?.test !== undefined || IMGBATCH_SERVICES.includes(dependency), `${name} waits for ${dependency} to be healthy`).toBe(true);
      }
    }
  });

  it('points the local workers at the simulator service, one deployment per simulated model, and stores their images in Azurite', async () => {
    const file = await composeConfig(emptyEnvFile);
    const config = configOf(service(file, 'worker'));
    const inService = BUILT_IN_CATALOGUE.models.filter((model) => lifecycleOf(model, Date.now()).kind !== 'retired').map((model) => model.id);
    expect(config.deployments.map((d) => d.model).sort()).toEqual(inService.sort());
    expect(new Set(config.deployments.map((d) => d.endpoint))).toEqual(new Set(['http://simulator:8090/']));
    expect(config.store).toMatchObject({ kind: 'blob', connectionString: expect.stringContaining('BlobEndpoint=http://azurite:10000/') as unknown });
    const simulator = service(file, 'simulator');
    const command = simulator.command ?? [];
    const options = parseSimulatorOptions(JSON.parse(await readFile(hostPath(simulator, command[command.indexOf('--config') + 1] ?? ''), 'utf8')));
    expect(options.host).toBe('0.0.0.0');
    expect(command[command.indexOf('--port') + 1]).toBe('8090');
    expect(options.deployments.map((d) => [d.name, d.ratePerMinute])).toEqual(config.deployments.map((d) => [d.deployment, d.ratePerMinute]));
    expect(options.apiKeys).toContain(environmentOf(service(file, 'worker')).SIMULATOR_API_KEY);
  });

  it('keeps deploy/compose/ equal to what scripts/generate-compose-simulator-config.ts makes from the model table', async () => {
    expect(await readFile(join(COMPOSE_CONFIG_DIR, SIMULATOR_OPTIONS_FILE), 'utf8'), 'run: npx tsx scripts/generate-compose-simulator-config.ts').toBe(formatSimulatorOptions());
    expect(await readFile(join(COMPOSE_CONFIG_DIR, SIMULATOR_DEPLOYMENTS_FILE), 'utf8'), 'run: npx tsx scripts/generate-compose-simulator-config.ts').toBe(formatSimulatorDeployments());
  });

  it('starts the API with no variable set (a local default token), and the API alone needs one', async () => {
    const file = await composeConfig(emptyEnvFile);
    expect(configOf(service(file, 'api')).apiToken).toBeDefined();
    for (const name of ['worker', 'simulator']) expect(environmentOf(service(file, name)).IMGBATCH_API_TOKEN, name).toBeUndefined();
  });

  it('in the azure profile passes every line of the env file, Entra settings and the keys the config file names included, and starts no simulator', async () => {
    const configDir = join(work, 'config');
    await mkdir(configDir, { recursive: true });
    await writeFile(
      join(configDir, 'deployments.yaml'),
      [
        'deployments:',
        '  - { name: east, endpoint: "https://east.openai.azure.com/", deployment: mini, model: gpt-image-1-mini, ratePerMinute: 12, auth: { apiKeyEnv: KEY_EAST } }',
        '  - { name: west, endpoint: "https://west.openai.azure.com/", deployment: mini, model: gpt-image-1-mini, ratePerMinute: 12, auth: entra }',
      ].join('\n'),
    );
    const envFile = join(work, 'azure.env');
    const lines = { IMGBATCH_CONFIG: '/config/deployments.yaml', KEY_EAST: 'key-of-east', AZURE_TENANT_ID: 'tenant', AZURE_CLIENT_ID: 'client', AZURE_CLIENT_SECRET: 'secret', IMGBATCH_API_TOKEN: 'azure-profile-token-0123456789' };
    await writeFile(envFile, Object.entries(lines).map(([key, value]) => `${key}=${value}`).join('\n'));
    const file = await composeConfig(emptyEnvFile, { profile: 'azure', variables: { IMGBATCH_ENV_FILE: envFile, IMGBATCH_CONFIG_DIR: resolve(configDir) } });

    expect(activeServices(file, ['azure'])).toEqual(expect.arrayContaining(['worker-azure', 'api-azure']));
    // The documented command names its services: none of the simulator's stack comes along.
    expect(startedBy(file, ['redis', 'worker-azure', 'api-azure'])).toEqual(['api-azure', 'redis', 'worker-azure']);
    for (const name of ['worker-azure', 'api-azure']) {
      const env = environmentOf(service(file, name));
      expect(env, name).toMatchObject(lines);
      expect(JSON.stringify(env), name).not.toContain('simulator');
      // Database 1: should the local stack run too, the two never share a queue.
      expect(env.REDIS_URL, name).toBe('redis://redis:6379/1');
    }
    const config = configOf(service(file, 'worker-azure'));
    expect(config.deployments.map((d) => [d.name, d.auth])).toEqual([
      ['east', { kind: 'api-key', apiKey: 'key-of-east' }],
      ['west', { kind: 'entra' }],
    ]);
  });

  it('in the azure profile with no env file given stays valid, and its workers get no deployment to call', async () => {
    const file = await composeConfig(emptyEnvFile, { profile: 'azure' });
    expect(configOf(service(file, 'worker-azure')).deployments).toEqual([]);
  });
});
