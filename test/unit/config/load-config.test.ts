import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadConfigOptions } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';

const MODEL_IDS = BUILT_IN_CATALOGUE.ids;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENDPOINT = 'https://my-resource.openai.azure.com/';

type Env = NonNullable<LoadConfigOptions['env']>;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgbatch-load-config-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file into the test's temp dir and returns its name (relative to `dir`). */
function writeConfig(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function writeJsonConfig(name: string, value: unknown): string {
  return writeConfig(name, JSON.stringify(value, null, 2));
}

function fileDeployment(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'eastus2',
    endpoint: 'https://eastus2.openai.azure.com/',
    deployment: 'gpt-image-1-mini',
    model: 'gpt-image-1-mini',
    ratePerMinute: 12,
    auth: { apiKeyEnv: 'KEY_EASTUS2' },
    ...fields,
  };
}

function load(env: Env, overrides?: LoadConfigOptions['overrides']): ReturnType<typeof loadConfig> {
  return loadConfig({ env, cwd: dir, ...(overrides !== undefined && { overrides }) });
}

/** The ConfigError that loading throws; fails the test when it loads or throws something else. */
function configError(env: Env, cwd = dir): ConfigError {
  try {
    loadConfig({ env, cwd });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

function rateOf(model: string): number {
  const capabilities = BUILT_IN_CATALOGUE.find(model);
  if (capabilities === undefined) throw new Error(`no model ${model}`);
  return capabilities.defaultRatePerMinute;
}

describe('loadConfig without Azure settings', () => {
  it('uses the simulator and stores files under <cwd>/output', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/imgbatch' });
    expect(config.usesSimulator).toBe(true);
    expect(config.deployments).toEqual([]);
    expect(config.store).toEqual({ kind: 'fs', root: '/srv/imgbatch/output' });
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisPrefix).toBe('imgbatch');
    expect(config.logLevel).toBe('info');
  });

  it('never reads process.env when env is passed', () => {
    const saved = process.env.AZURE_OPENAI_ENDPOINT;
    process.env.AZURE_OPENAI_ENDPOINT = 'not a url';
    try {
      expect(loadConfig({ env: {}, cwd: dir }).usesSimulator).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.AZURE_OPENAI_ENDPOINT;
      else process.env.AZURE_OPENAI_ENDPOINT = saved;
    }
  });

  it('resolves IMGBATCH_OUTPUT_DIR against cwd', () => {
    expect(loadConfig({ env: { IMGBATCH_OUTPUT_DIR: 'images' }, cwd: '/srv/imgbatch' }).store).toEqual({
      kind: 'fs',
      root: '/srv/imgbatch/images',
    });
  });
});

describe('loadConfig with one deployment from AZURE_OPENAI_* variables', () => {
  it.each(MODEL_IDS.map((model) => [model] as const))(
    'a deployment named after model %s gets that model and its default rate',
    (model) => {
      const config = load({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_API_KEY: 'key-1', AZURE_OPENAI_DEPLOYMENT_NAME: model });
      expect(config.usesSimulator).toBe(false);
      expect(config.deployments).toEqual([
        {
          name: model,
          endpoint: ENDPOINT,
          deployment: model,
          model,
          ratePerMinute: rateOf(model),
          apiVersion: '2025-04-01-preview',
          auth: { kind: 'api-key', apiKey: 'key-1' },
          quotaUnit: 'request',
          priority: 1,
          pools: [],
        },
      ]);
    },
  );

  it('gpt-image-1 defaults to 9 requests per minute (Azure’s documented default)', () => {
    const config = load({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' });
    expect(config.deployments[0]?.ratePerMinute).toBe(9);
  });

  it('without AZURE_OPENAI_API_KEY the deployment authenticates with Entra ID', () => {
    const config = load({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1-mini' });
    expect(config.deployments[0]?.auth).toEqual({ kind: 'entra' });
  });

  it('IMGBATCH_MODEL names the model of a deployment whose name is not a model id; rate and api version can be set', () => {
    const config = load({
      AZURE_OPENAI_ENDPOINT: ENDPOINT,
      AZURE_OPENAI_DEPLOYMENT_NAME: 'product-shots',
      IMGBATCH_MODEL: 'gpt-image-1.5',
      IMGBATCH_RATE_PER_MINUTE: '30',
      OPENAI_API_VERSION: '2025-06-01-preview',
    });
    expect(config.deployments).toMatchObject([
      { name: 'product-shots', deployment: 'product-shots', model: 'gpt-image-1.5', ratePerMinute: 30, apiVersion: '2025-06-01-preview' },
    ]);
  });

  it('a deployment name that is not a model id, without IMGBATCH_MODEL, is an error naming IMGBATCH_MODEL and the known models', () => {
    const error = configError({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'product-shots' });
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('IMGBATCH_MODEL');
    expect(error.message).toContain('"product-shots"');
    for (const model of MODEL_IDS) expect(error.message).toContain(model);
  });

  it('a name that is an Object.prototype key is not mistaken for a model', () => {
    expect(configError({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'toString' }).message).toContain('IMGBATCH_MODEL');
  });

  it('an endpoint without AZURE_OPENAI_DEPLOYMENT_NAME is an error naming that variable', () => {
    expect(configError({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_API_KEY: 'k' }).message).toContain('AZURE_OPENAI_DEPLOYMENT_NAME');
  });

  it('an endpoint that is not a URL is an error naming AZURE_OPENAI_ENDPOINT', () => {
    expect(configError({ AZURE_OPENAI_ENDPOINT: 'my-resource', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' }).message).toContain(
      'AZURE_OPENAI_ENDPOINT',
    );
  });
});

describe('loadConfig with deployments from an IMGBATCH_CONFIG file', () => {
  it('reads a JSON file and resolves each apiKeyEnv from env', () => {
    const file = writeJsonConfig('two.json', {
      deployments: [fileDeployment(), fileDeployment({ name: 'sweden', endpoint: 'https://sweden.openai.azure.com/', auth: 'entra', quotaUnit: 'image' })],
    });
    const config = load({ IMGBATCH_CONFIG: file, KEY_EASTUS2: 'key-eastus2' });
    expect(config.usesSimulator).toBe(false);
    expect(config.deployments).toEqual([
      {
        name: 'eastus2',
        endpoint: 'https://eastus2.openai.azure.com/',
        deployment: 'gpt-image-1-mini',
        model: 'gpt-image-1-mini',
        ratePerMinute: 12,
        apiVersion: '2025-04-01-preview',
        auth: { kind: 'api-key', apiKey: 'key-eastus2' },
        quotaUnit: 'request',
        priority: 1,
        pools: [],
      },
      {
        name: 'sweden',
        endpoint: 'https://sweden.openai.azure.com/',
        deployment: 'gpt-image-1-mini',
        model: 'gpt-image-1-mini',
        ratePerMinute: 12,
        apiVersion: '2025-04-01-preview',
        auth: { kind: 'entra' },
        quotaUnit: 'image',
        priority: 1,
        pools: [],
      },
    ]);
  });

  it('reads a YAML file the same way, and a deployment without a name is named after its Azure deployment', () => {
    const file = writeConfig(
      'one.yaml',
      [
        'deployments:',
        '  - endpoint: https://eastus2.openai.azure.com/',
        '    deployment: images-prod',
        '    model: gpt-image-1',
        '    ratePerMinute: 9',
        '    apiVersion: 2025-06-01-preview',
        '    auth: { apiKeyEnv: KEY_EASTUS2 }',
        '',
      ].join('\n'),
    );
    expect(load({ IMGBATCH_CONFIG: file, KEY_EASTUS2: 'k' }).deployments).toMatchObject([
      { name: 'images-prod', deployment: 'images-prod', model: 'gpt-image-1', apiVersion: '2025-06-01-preview', auth: { kind: 'api-key', apiKey: 'k' } },
    ]);
  });

  it('reads an absolute IMGBATCH_CONFIG path whatever cwd is', () => {
    const file = writeJsonConfig('absolute.json', { deployments: [fileDeployment({ auth: 'entra' })] });
    expect(loadConfig({ env: { IMGBATCH_CONFIG: join(dir, file) }, cwd: '/' }).deployments).toHaveLength(1);
  });

  it.each([
    ['unset', {}],
    ['empty', { KEY_SWEDEN: '' }],
  ])('an apiKeyEnv variable that is %s is an error naming deployments[i] and the variable', (_, extraEnv) => {
    const file = writeJsonConfig('missing-key.json', {
      deployments: [fileDeployment(), fileDeployment({ name: 'sweden', endpoint: 'https://sweden.openai.azure.com/', auth: { apiKeyEnv: 'KEY_SWEDEN' } })],
    });
    const error = configError({ IMGBATCH_CONFIG: file, KEY_EASTUS2: 'key-eastus2', ...extraEnv });
    expect(error.message).toContain('deployments[1]');
    expect(error.message).toContain('KEY_SWEDEN');
    expect(error.message).toContain('missing-key.json');
  });

  it('an unknown model is an error naming the deployment path, the model and the known models', () => {
    const file = writeJsonConfig('unknown-model.json', { deployments: [fileDeployment({ auth: 'entra' }), fileDeployment({ name: 'old', model: 'dall-e-2', auth: 'entra' })] });
    const error = configError({ IMGBATCH_CONFIG: file });
    expect(error.message).toContain('unknown-model.json: deployments[1]');
    expect(error.message).toContain('"dall-e-2"');
    for (const model of MODEL_IDS) expect(error.message).toContain(model);
  });

  it.each([
    ['the same name twice', [fileDeployment({ auth: 'entra' }), fileDeployment({ auth: 'entra', endpoint: 'https://other.openai.azure.com/' })], '"eastus2"'],
    [
      'two unnamed entries with the same Azure deployment',
      [fileDeployment({ name: undefined, auth: 'entra' }), fileDeployment({ name: undefined, auth: 'entra', endpoint: 'https://other.openai.azure.com/' })],
      '"gpt-image-1-mini"',
    ],
  ])('%s is an error naming deployments[1] and the name', (_, deployments, quotedName) => {
    const error = configError({ IMGBATCH_CONFIG: writeJsonConfig('duplicate.json', { deployments }) });
    expect(error.message).toContain('deployments[1]');
    expect(error.message).toContain(quotedName);
    expect(error.message).toContain('twice');
  });

  it('file deployments together with AZURE_OPENAI_ENDPOINT is an error naming both sources', () => {
    const file = writeJsonConfig('both.json', { deployments: [fileDeployment({ auth: 'entra' })] });
    const error = configError({ IMGBATCH_CONFIG: file, AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' });
    expect(error.message).toContain('both.json');
    expect(error.message).toContain('AZURE_OPENAI_ENDPOINT');
  });

  it('a file without deployments leaves the AZURE_OPENAI_* deployment in charge', () => {
    const file = writeConfig('worker-only.yaml', 'worker:\n  concurrency: 4\n');
    const config = load({ IMGBATCH_CONFIG: file, AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' });
    expect(config.deployments.map((d) => d.name)).toEqual(['gpt-image-1']);
    expect(config.worker.concurrency).toBe(4);
  });

  it('fetch: caps downloads of url answers at 40 MiB by default; the file may set another cap, and a nonsense one is refused naming the field', () => {
    expect(load({}).fetch).toEqual({ allowPrivateAddresses: false, allowLoopback: false, timeoutMs: 60_000, maxDownloadBytes: 41_943_040 });
    const file = writeConfig('fetch.yaml', 'fetch:\n  maxDownloadBytes: 1048576\n');
    expect(load({ IMGBATCH_CONFIG: file }).fetch).toMatchObject({ maxDownloadBytes: 1_048_576, allowPrivateAddresses: false });
    const error = configError({ IMGBATCH_CONFIG: writeConfig('fetch-bad.yaml', 'fetch:\n  maxDownloadBytes: -5\n') });
    expect(error.message).toMatch(/fetch\.maxDownloadBytes/);
  });

  it.each([
    ['invalid YAML', 'broken.yaml', 'deployments: [\n  - name: a\n  : :\n', 'YAML'],
    ['invalid JSON', 'broken.json', '{"deployments": [', 'JSON'],
  ])('%s is an error naming the file and its format', (_, name, text, format) => {
    const error = configError({ IMGBATCH_CONFIG: writeConfig(name, text) });
    expect(error.message).toContain(join(dir, name));
    expect(error.message).toContain(`not valid ${format}`);
  });

  it('a missing file is an error naming the resolved path', () => {
    expect(configError({ IMGBATCH_CONFIG: 'nowhere.yaml' }).message).toContain(join(dir, 'nowhere.yaml'));
  });

  it('an unknown key in the file is an error naming the file and the key', () => {
    const error = configError({ IMGBATCH_CONFIG: writeConfig('typo.yaml', 'deploymnts: []\n') });
    expect(error.message).toContain('typo.yaml');
    expect(error.message).toContain('deploymnts');
  });

  it('an API key written into the file instead of an env var name is refused', () => {
    const file = writeJsonConfig('inline-key.json', { deployments: [fileDeployment({ auth: { apiKey: 'inline-secret' } })] });
    const message = configError({ IMGBATCH_CONFIG: file }).message;
    expect(message).toContain('inline-key.json');
    expect(message).not.toContain('inline-secret');
  });

  it('loads jobs/deployments.example.yaml when its apiKeyEnv variable is set (one api-key, one Entra ID deployment)', () => {
    const config = loadConfig({
      env: { IMGBATCH_CONFIG: 'jobs/deployments.example.yaml', AZURE_OPENAI_API_KEY_EASTUS2: 'key-eastus2' },
      cwd: REPO_ROOT,
    });
    expect(config.deployments.map((d) => [d.name, d.model, d.ratePerMinute, d.auth])).toEqual([
      ['mini-eastus2', 'gpt-image-1-mini', 12, { kind: 'api-key', apiKey: 'key-eastus2' }],
      ['mini-swedencentral', 'gpt-image-1-mini', 12, { kind: 'entra' }],
    ]);
    expect(config.store).toEqual({ kind: 'fs', root: join(REPO_ROOT, 'output') });
    expect(config.worker).toMatchObject({ concurrency: 32, timeoutMs: undefined, timeoutRetries: 1 });
  });

  it('jobs/deployments.example.yaml without its key variable is an error naming that variable', () => {
    const error = configError({ IMGBATCH_CONFIG: 'jobs/deployments.example.yaml' }, REPO_ROOT);
    expect(error.message).toContain('deployments[0]');
    expect(error.message).toContain('AZURE_OPENAI_API_KEY_EASTUS2');
  });
});

describe('loadConfig: the config file\'s models: section', () => {
  it('adds a model that a deployment may then serve, and overrides a built-in one', () => {
    const file = writeConfig(
      'models.yaml',
      [
        'models:',
        '  gpt-image-9: { like: gpt-image-2, defaultRatePerMinute: 20 }',
        '  gpt-image-2: { timeoutMs: 600000, lifecycle: { retiresOn: 2027-12-01 } }',
        'deployments:',
        '  - { endpoint: "https://east.openai.azure.com/", deployment: g9, model: gpt-image-9, ratePerMinute: 20, auth: entra }',
      ].join('\n'),
    );
    const config = load({ IMGBATCH_CONFIG: file });
    expect(config.deployments.map((d) => d.model)).toEqual(['gpt-image-9']);
    expect(config.models.find('gpt-image-9')).toMatchObject({ id: 'gpt-image-9', defaultRatePerMinute: 20, factsFrom: 'config' });
    expect(config.models.find('gpt-image-2')).toMatchObject({ timeoutMs: 600_000, lifecycle: { retiresOn: '2027-12-01' } });
    expect(Object.isFrozen(config.models)).toBe(true);
  });

  it('without one, the built-in catalogue is used', () => {
    expect(load({}).models).toBe(BUILT_IN_CATALOGUE);
  });

  it.each([
    ['a field with a bad value', 'models:\n  gpt-image-2: { timeoutMs: 900000 }\n', 'models.gpt-image-2.timeoutMs: must be at most 600000 ms'],
    ['an unknown field', 'models:\n  gpt-image-2: { timeout: 5 }\n', 'models.gpt-image-2: Unrecognized key: "timeout"'],
    ['a new model without like', 'models:\n  gpt-image-9: { timeoutMs: 5000 }\n', 'models.gpt-image-9: "gpt-image-9" is not a built-in model'],
    ['a default quality outside the qualities', 'models:\n  gpt-image-2: { qualities: [low, medium] }\n', 'models.gpt-image-2.defaultQuality: "high" is not one of its qualities (low, medium)'],
  ])('refuses %s, naming the file and the field', (_, text, message) => {
    const error = configError({ IMGBATCH_CONFIG: writeConfig('bad-models.yaml', text) });
    expect(error.message).toContain('bad-models.yaml');
    expect(error.message).toContain(message);
  });

  it('a deployment of a model neither built in nor in models: names the way to add one', () => {
    const file = writeConfig('unknown.yaml', 'deployments:\n  - { endpoint: "https://east.openai.azure.com/", deployment: g9, model: gpt-image-9, ratePerMinute: 20, auth: entra }\n');
    expect(configError({ IMGBATCH_CONFIG: file }).message).toContain('"gpt-image-9" is not a known image model (known: dall-e-3, gpt-image-1, gpt-image-1-mini, gpt-image-1.5, gpt-image-2, gpt-image-2.5-flare, gpt-image-2.5-sunburst; add others under models:)');
  });
});

describe('loadConfig keeps secrets out of error messages', () => {
  const secrets = { KEY_EASTUS2: 'sk-eastus2-0123456789', AZURE_OPENAI_API_KEY: 'sk-env-abcdef', CONN: 'AccountKey=conn-secret-xyz' };

  it.each([
    [
      'another deployment’s key is missing',
      (): Env => ({
        IMGBATCH_CONFIG: writeJsonConfig('secret-missing.json', {
          deployments: [fileDeployment(), fileDeployment({ name: 'sweden', endpoint: 'https://sweden.openai.azure.com/', auth: { apiKeyEnv: 'KEY_SWEDEN' } })],
        }),
        KEY_EASTUS2: secrets.KEY_EASTUS2,
      }),
    ],
    [
      'the env deployment’s model is unknown',
      (): Env => ({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_API_KEY: secrets.AZURE_OPENAI_API_KEY, AZURE_OPENAI_DEPLOYMENT_NAME: 'images' }),
    ],
    [
      'deployments come from both sources',
      (): Env => ({
        IMGBATCH_CONFIG: writeJsonConfig('secret-both.json', { deployments: [fileDeployment()] }),
        KEY_EASTUS2: secrets.KEY_EASTUS2,
        AZURE_OPENAI_ENDPOINT: ENDPOINT,
        AZURE_OPENAI_API_KEY: secrets.AZURE_OPENAI_API_KEY,
        AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1',
      }),
    ],
    [
      'another environment variable is invalid',
      (): Env => ({ AZURE_OPENAI_API_KEY: secrets.AZURE_OPENAI_API_KEY, IMGBATCH_CONCURRENCY: 'lots' }),
    ],
    [
      'the blob store is given a connection string and an account URL',
      (): Env => ({
        IMGBATCH_CONFIG: writeJsonConfig('secret-store.json', {
          store: { kind: 'blob', container: 'images', connectionStringEnv: 'CONN', accountUrl: 'https://acct.blob.core.windows.net' },
        }),
        CONN: secrets.CONN,
      }),
    ],
  ])('when %s', (_, env) => {
    const message = configError(env()).message;
    for (const secret of Object.values(secrets)) expect(message).not.toContain(secret);
  });
});

describe('loadConfig store selection', () => {
  it('AZURE_STORAGE_CONNECTION_STRING selects the blob store with the default container', () => {
    expect(load({ AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).store).toEqual({
      kind: 'blob',
      container: 'imgbatch',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('AZURE_STORAGE_ACCOUNT_URL selects the blob store with Entra ID, container and prefix from env', () => {
    expect(
      load({ AZURE_STORAGE_ACCOUNT_URL: 'https://acct.blob.core.windows.net', IMGBATCH_BLOB_CONTAINER: 'images', IMGBATCH_BLOB_PREFIX: 'shop/' }).store,
    ).toEqual({ kind: 'blob', container: 'images', prefix: 'shop/', accountUrl: 'https://acct.blob.core.windows.net' });
  });

  it('both a connection string and an account URL is an error', () => {
    const error = configError({ AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', AZURE_STORAGE_ACCOUNT_URL: 'https://acct.blob.core.windows.net' });
    expect(error.message).toMatch(/connection string.*account URL.*not both/);
  });

  it('a blob store in the file takes its connection string from the variable it names', () => {
    const file = writeJsonConfig('blob-store.json', { store: { kind: 'blob', container: 'images', prefix: 'p', connectionStringEnv: 'CONN' } });
    expect(load({ IMGBATCH_CONFIG: file, CONN: 'UseDevelopmentStorage=true' }).store).toEqual({
      kind: 'blob',
      container: 'images',
      prefix: 'p',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('refuses two entries for one Azure deployment: each would spend its whole quota', () => {
    const file = writeJsonConfig('twice.json', {
      deployments: [fileDeployment(), fileDeployment({ name: 'again', endpoint: 'https://EASTUS2.openai.azure.com' })],
    });
    expect(configError({ IMGBATCH_CONFIG: file, KEY_EASTUS2: 'k' }).message).toMatch(
      /deployments\[1\]: the same Azure deployment as deployments\[0\] \(eastus2\.openai\.azure\.com\/gpt-image-1-mini\)/,
    );
  });

  it('reads priority tiers and pools, with defaults tier 1 and no pools', () => {
    const file = writeJsonConfig('tiers.json', {
      deployments: [
        fileDeployment({ priority: 1, pools: ['eu', 'fast'] }),
        fileDeployment({ name: 'spill', endpoint: 'https://spill.openai.azure.com/', priority: 2 }),
        fileDeployment({ name: 'plain', endpoint: 'https://plain.openai.azure.com/' }),
      ],
    });
    const config = load({ IMGBATCH_CONFIG: file, KEY_EASTUS2: 'k' });
    expect(config.deployments.map((d) => [d.name, d.priority, d.pools])).toEqual([
      ['eastus2', 1, ['eu', 'fast']],
      ['spill', 2, []],
      ['plain', 1, []],
    ]);
  });

  it('a blob store in the file whose connectionStringEnv is unset is an error naming the variable', () => {
    const file = writeJsonConfig('blob-store-missing.json', { store: { kind: 'blob', container: 'images', connectionStringEnv: 'CONN' } });
    expect(configError({ IMGBATCH_CONFIG: file }).message).toContain('CONN');
  });

  it('an fs root from the file resolves against cwd; IMGBATCH_OUTPUT_DIR beats it; the outputDir override beats both', () => {
    const file = writeConfig('fs-store.yaml', 'store:\n  kind: fs\n  root: from-file\n');
    expect(load({ IMGBATCH_CONFIG: file }).store).toEqual({ kind: 'fs', root: join(dir, 'from-file') });
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_OUTPUT_DIR: 'from-env' }).store).toEqual({ kind: 'fs', root: join(dir, 'from-env') });
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_OUTPUT_DIR: 'from-env' }, { outputDir: 'from-flag' }).store).toEqual({
      kind: 'fs',
      root: join(dir, 'from-flag'),
    });
  });
});

describe('loadConfig settings precedence', () => {
  it('worker overrides beat IMGBATCH_CONCURRENCY, which beats the file, which beats the default', () => {
    const file = writeConfig('worker.yaml', 'worker:\n  concurrency: 4\n  timeoutMs: 5000\n');
    expect(load({}).worker.concurrency).toBe('auto');
    expect(load({ IMGBATCH_CONFIG: file }).worker).toMatchObject({ concurrency: 4, timeoutMs: 5000 });
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_CONCURRENCY: '8' }).worker).toMatchObject({ concurrency: 8, timeoutMs: 5000 });
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_CONCURRENCY: '8' }, { worker: { concurrency: 16 } }).worker).toMatchObject({
      concurrency: 16,
      timeoutMs: 5000,
    });
  });

  it('IMGBATCH_CONCURRENCY=auto beats a number in the file', () => {
    const file = writeConfig('worker-auto.yaml', 'worker:\n  concurrency: 4\n');
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_CONCURRENCY: 'auto' }).worker.concurrency).toBe('auto');
  });

  it('IMGBATCH_TIMEOUT_MS and IMGBATCH_IMAGES_PER_CALL beat the file', () => {
    const file = writeConfig('worker-2.yaml', 'worker:\n  timeoutMs: 5000\n  imagesPerCall: 2\n');
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_TIMEOUT_MS: '90000', IMGBATCH_IMAGES_PER_CALL: '4' }).worker).toMatchObject({
      timeoutMs: 90_000,
      imagesPerCall: 4,
    });
  });

  it('by default no worker-wide call timeout: each model\'s own applies; a timed-out call is retried once', () => {
    expect(load({}).worker).toMatchObject({ timeoutMs: undefined, timeoutRetries: 1 });
  });

  it.each([
    ['IMGBATCH_TIMEOUT_MS over the 600 s ceiling', { IMGBATCH_TIMEOUT_MS: '600001' }, 'IMGBATCH_TIMEOUT_MS: must be at most 600000 ms'],
    ['worker.timeoutMs over the ceiling', { IMGBATCH_CONFIG: 'w-timeout.yaml' }, 'worker.timeoutMs: must be at most 600000 ms'],
    ['a deployment timeout over the ceiling', { IMGBATCH_CONFIG: 'd-timeout.yaml' }, 'deployments.0.timeoutMs: must be at most 600000 ms'],
    ['timeoutRetries below 0', { IMGBATCH_CONFIG: 'w-retries.yaml' }, 'worker.timeoutRetries: must be 0 or more'],
  ])('refuses %s, naming the setting', (_, env, message) => {
    writeConfig('w-timeout.yaml', 'worker:\n  timeoutMs: 900000\n');
    writeConfig('w-retries.yaml', 'worker:\n  timeoutRetries: -1\n');
    writeConfig('d-timeout.yaml', 'deployments:\n  - { endpoint: "https://e.openai.azure.com/", deployment: g2, model: gpt-image-2, ratePerMinute: 6, auth: entra, timeoutMs: 700000 }\n');
    expect(configError(env).message).toContain(message);
  });

  it('a deployment on Azure\'s v1 path gets api-version preview unless it names one', () => {
    const file = writeConfig(
      'v1.yaml',
      [
        'deployments:',
        '  - { name: a, endpoint: "https://a.openai.azure.com/", deployment: g2, model: gpt-image-2, ratePerMinute: 6, auth: entra, api: v1 }',
        '  - { name: b, endpoint: "https://b.openai.azure.com/", deployment: g2, model: gpt-image-2, ratePerMinute: 6, auth: entra, api: v1, apiVersion: v1 }',
        '  - { name: c, endpoint: "https://c.openai.azure.com/", deployment: g2, model: gpt-image-2, ratePerMinute: 6, auth: entra }',
      ].join('\n'),
    );
    expect(load({ IMGBATCH_CONFIG: file }).deployments.map((d) => [d.name, d.api, d.apiVersion])).toEqual([
      ['a', 'v1', 'preview'],
      ['b', 'v1', 'v1'],
      ['c', undefined, '2025-04-01-preview'],
    ]);
    expect(load({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-2', IMGBATCH_AZURE_API: 'v1' }).deployments[0]).toMatchObject({ api: 'v1', apiVersion: 'preview' });
    expect(configError({ IMGBATCH_AZURE_API: 'v2' }).message).toContain('IMGBATCH_AZURE_API: must be one of deployments, v1');
  });

  it('a deployment may carry its own call timeout and expected latency', () => {
    const file = writeConfig('d-latency.yaml', 'deployments:\n  - { endpoint: "https://e.openai.azure.com/", deployment: g2, model: gpt-image-2, ratePerMinute: 6, auth: entra, timeoutMs: 600000, expectedLatencyMs: 200000 }\n');
    expect(load({ IMGBATCH_CONFIG: file }).deployments[0]).toMatchObject({ timeoutMs: 600_000, expectedLatencyMs: 200_000 });
  });

  it('an override left undefined does not erase the value underneath', () => {
    const config = loadConfig({ env: { IMGBATCH_CONCURRENCY: '8' }, cwd: dir, overrides: { worker: {} } });
    expect(config.worker.concurrency).toBe(8);
  });

  it('REDIS_URL and IMGBATCH_REDIS_PREFIX beat the file', () => {
    const file = writeConfig('redis.yaml', 'redis:\n  url: redis://file:6379\n  prefix: fromfile\n');
    expect(load({ IMGBATCH_CONFIG: file })).toMatchObject({ redisUrl: 'redis://file:6379', redisPrefix: 'fromfile' });
    expect(load({ IMGBATCH_CONFIG: file, REDIS_URL: 'redis://env:6379', IMGBATCH_REDIS_PREFIX: 'fromenv' })).toMatchObject({
      redisUrl: 'redis://env:6379',
      redisPrefix: 'fromenv',
    });
  });

  it("an ended batch's data stays 30 days by default, else redis.batchRetentionDays, else IMGBATCH_BATCH_RETENTION_DAYS over it", () => {
    expect(load({}).batchRetentionSeconds).toBe(30 * 86_400);
    const file = writeConfig('retention.yaml', 'redis:\n  batchRetentionDays: 7\n');
    expect(load({ IMGBATCH_CONFIG: file }).batchRetentionSeconds).toBe(7 * 86_400);
    expect(load({ IMGBATCH_CONFIG: file, IMGBATCH_BATCH_RETENTION_DAYS: '0.5' }).batchRetentionSeconds).toBe(43_200);
  });

  it.each([
    ['redis:\n  batchRetentionDays: 0\n', 'must be at least 1/24 (an hour)'],
    ['redis:\n  batchRetentionDays: 4000\n', 'must be at most 3650 (ten years)'],
    ['redis:\n  batchRetentionDays: thirty\n', 'must be a number of days'],
  ])('redis.batchRetentionDays in %j is an error naming the field: %s', (yaml, reason) => {
    const file = writeConfig('bad-retention.yaml', yaml);
    const message = configError({ IMGBATCH_CONFIG: file }).message;
    expect(message).toContain('batchRetentionDays');
    expect(message).toContain(reason);
  });

  it.each([
    ['IMGBATCH_BATCH_RETENTION_DAYS', '0'],
    ['IMGBATCH_BATCH_RETENTION_DAYS', 'forever'],
    ['IMGBATCH_CONCURRENCY', '0'],
    ['IMGBATCH_CONCURRENCY', 'lots'],
    ['IMGBATCH_CONCURRENCY', '100001'],
    ['IMGBATCH_IMAGES_PER_CALL', '11'],
    ['IMGBATCH_REDIS_PREFIX', 'a:b'],
    ['IMGBATCH_LOG_LEVEL', 'verbose'],
  ])('%s=%j is an error naming the variable', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });
});

describe('loadConfig result', () => {
  it('is frozen, and so are its deployments list, store, worker and limiter settings', () => {
    const config = load({ AZURE_OPENAI_ENDPOINT: ENDPOINT, AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.deployments)).toBe(true);
    expect(Object.isFrozen(config.store)).toBe(true);
    expect(Object.isFrozen(config.worker)).toBe(true);
    expect(Object.isFrozen(config.limiter)).toBe(true);
    expect(Reflect.set(config, 'redisPrefix', 'changed')).toBe(false);
    expect(config.redisPrefix).toBe('imgbatch');
  });
});

describe('loadConfig: the HTTP API token', () => {
  it('reads IMGBATCH_API_TOKEN, and leaves it undefined when unset', () => {
    expect(load({ IMGBATCH_API_TOKEN: 'a-long-enough-token-value' }).apiToken).toBe('a-long-enough-token-value');
    expect(load({}).apiToken).toBeUndefined();
  });

  it('a token shorter than 16 characters is an error naming IMGBATCH_API_TOKEN', () => {
    expect(configError({ IMGBATCH_API_TOKEN: 'short' }).message).toMatch(/IMGBATCH_API_TOKEN: must be at least 16 characters/);
  });
});

describe('loadConfig: the HTTP settings', () => {
  it('reads the file’s http section, with IMGBATCH_HTTP_* over it, and leaves out what neither sets', () => {
    const file = writeConfig('http.yaml', 'http:\n  allowedHosts: [api.example.com]\n  trustProxy: [10.0.0.0/8]\n  requestTimeoutMs: 60000\n');
    expect(load({}).http).toEqual({});
    expect(load({ IMGBATCH_CONFIG: file }).http).toEqual({ allowedHosts: ['api.example.com'], trustProxy: ['10.0.0.0/8'], requestTimeoutMs: 60_000 });
    const fromEnv = load({
      IMGBATCH_CONFIG: file,
      IMGBATCH_HTTP_ALLOWED_HOSTS: 'a.example, b.example:8443',
      IMGBATCH_HTTP_TRUST_PROXY: 'true',
      IMGBATCH_HTTP_HEADERS_TIMEOUT_MS: '5000',
      IMGBATCH_HTTP_AUTH_FAILURES_PER_MINUTE: '5',
    }).http;
    expect(fromEnv).toEqual({ allowedHosts: ['a.example', 'b.example:8443'], trustProxy: true, requestTimeoutMs: 60_000, headersTimeoutMs: 5_000, authFailuresPerMinute: 5 });
    expect(Object.isFrozen(fromEnv)).toBe(true);
    expect(load({ IMGBATCH_HTTP_TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(load({ IMGBATCH_HTTP_TRUST_PROXY: 'loopback, 10.0.0.1' }).http.trustProxy).toEqual(['loopback', '10.0.0.1']);
  });

  it.each([
    ['IMGBATCH_HTTP_ALLOWED_HOSTS', ' , '],
    ['IMGBATCH_HTTP_TRUST_PROXY', ','],
    ['IMGBATCH_HTTP_REQUEST_TIMEOUT_MS', 'soon'],
    ['IMGBATCH_HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['IMGBATCH_HTTP_AUTH_FAILURES_PER_MINUTE', '2.5'],
  ])('%s=%j is an error naming the variable', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });

  it('reads API clients from http.clients: token hash, scopes, batch prefix and daily cap', () => {
    const hash = 'A'.repeat(64);
    const file = writeConfig('clients.yaml', `http:\n  clients:\n    - { name: shop, tokenSha256: ${hash}, scopes: [enqueue, read], batchPrefix: shop-, dailyCapUsd: 25 }\n`);
    expect(load({ IMGBATCH_CONFIG: file }).http.clients).toEqual([{ name: 'shop', tokenSha256: 'a'.repeat(64), scopes: ['enqueue', 'read'], batchPrefix: 'shop-', dailyCapUsd: 25 }]);
  });

  it.each([
    ['a token instead of its hash', '- { name: shop, tokenSha256: my-secret-token, scopes: [read] }', /clients\.0\.tokenSha256: must be the SHA-256 of the token in hex/],
    ['an unknown scope', `- { name: shop, tokenSha256: ${'a'.repeat(64)}, scopes: [write] }`, /clients\.0\.scopes\.0: must be one of enqueue, read, cancel, admin/],
    ['no scope', `- { name: shop, tokenSha256: ${'a'.repeat(64)}, scopes: [] }`, /clients\.0\.scopes: must list at least one/],
    ['the name admin', `- { name: admin, tokenSha256: ${'a'.repeat(64)}, scopes: [read] }`, /clients\.0\.name: "admin" is the name of the IMGBATCH_API_TOKEN holder/],
    ['a negative cap', `- { name: shop, tokenSha256: ${'a'.repeat(64)}, scopes: [read], dailyCapUsd: -1 }`, /clients\.0\.dailyCapUsd: must be an amount in USD/],
    ['a name twice', `- { name: shop, tokenSha256: ${'a'.repeat(64)}, scopes: [read] }\n    - { name: shop, tokenSha256: ${'b'.repeat(64)}, scopes: [read] }`, /clients\.1\.name: "shop" is used by another client/],
    ['a token twice', `- { name: shop, tokenSha256: ${'a'.repeat(64)}, scopes: [read] }\n    - { name: blog, tokenSha256: ${'A'.repeat(64)}, scopes: [read] }`, /clients\.1\.tokenSha256: is the token of another client/],
  ])('http.clients with %s is an error naming the entry and field', (_case, entries, message) => {
    const file = writeConfig('bad-clients.yaml', `http:\n  clients:\n    ${entries}\n`);
    expect(configError({ IMGBATCH_CONFIG: file }).message).toMatch(message);
  });

  it('an unknown key in the http section is an error naming it', () => {
    const file = writeConfig('http-typo.yaml', 'http:\n  allowedHost: [api.example.com]\n');
    expect(configError({ IMGBATCH_CONFIG: file }).message).toMatch(/http: Unrecognized key: "allowedHost"/);
  });
});
