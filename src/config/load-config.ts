import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_PRICE_TABLE } from '../cost/default-price-table.js';
import { applyPriceOverrides, modelPricesOverrideSchema, priceOverridesSchema, type PriceOverrides } from '../cost/price-overrides.js';
import { ConfigError } from '../errors/imgbatch-error.js';
import { apiClientsSchema } from './api-client-config.js';
import { parseRedisUrl } from './parse-redis-url.js';
import { redactRedisUrl } from './redact-redis-url.js';
import { BUILT_IN_CATALOGUE, createModelCatalogue, type ModelCatalogue } from '../models/model-catalogue.js';
import { applyModelOverrides, callTimeoutMsSchema, modelOverrideSchema, modelOverridesSchema } from '../models/model-overrides.js';
import { BUILT_IN_MODELS } from '../models/model-table.js';
import type { Config, FetchSettings, LimiterSettings, StoreConfig, WorkerSettings } from './config.js';
import { AZURE_APIS, DEFAULT_API_VERSION, DEFAULT_V1_API_VERSION, deploymentFileEntrySchema, type DeploymentConfig } from './deployment-config.js';

/** The spool's cap (worker.spoolMaxBytes) when none is configured: 1 GiB. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 ** 3;
/** How often a paused store is probed (worker.storeProbeMs) when not configured, ms. */
export const DEFAULT_STORE_PROBE_MS = 5_000;

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  concurrency: 'auto',
  attempts: 5,
  backoffBaseMs: 2_000,
  backoffMaxMs: 60_000,
  maxRateLimitWaits: 30,
  pauseRecheckMs: 30_000,
  imagesPerCall: 1,
  timeoutMs: undefined,
  timeoutRetries: 1,
  maxWaitMs: 7 * 24 * 3600 * 1000,
  lockDurationMs: undefined,
  stalledIntervalMs: 30_000,
  spoolMaxBytes: DEFAULT_SPOOL_MAX_BYTES,
  storeProbeMs: DEFAULT_STORE_PROBE_MS,
};

export const DEFAULT_LIMITER_SETTINGS: LimiterSettings = {
  headroom: 0.02,
  maxSleepMs: 2_000,
  lateToleranceMs: 100,
  decreaseFactor: 0.7,
  minRateFactor: 0.1,
  recoverStep: 0.02,
};

export const DEFAULT_FETCH_SETTINGS: FetchSettings = {
  allowPrivateAddresses: false,
  allowLoopback: false,
  timeoutMs: 60_000,
  // The largest image the models make is 8 294 400 px (gpt-image-2, 3840x2160); as RGBA PNG at
  // worst 4 bytes a pixel plus framing, ~33 MB. 40 MiB leaves room and still bounds memory.
  maxDownloadBytes: 40 * 1_048_576,
};

const positiveInt = z.coerce.number().int().positive();

const workerSchema = z.strictObject({
  concurrency: z.union([z.literal('auto'), positiveInt.max(100_000)]).optional(),
  attempts: positiveInt.max(100).optional(),
  backoffBaseMs: positiveInt.optional(),
  backoffMaxMs: positiveInt.optional(),
  maxRateLimitWaits: positiveInt.optional(),
  pauseRecheckMs: positiveInt.optional(),
  imagesPerCall: positiveInt.max(10).optional(),
  timeoutMs: z.coerce.number().pipe(callTimeoutMsSchema).optional(),
  timeoutRetries: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').max(10, 'must be at most 10').optional(),
  maxWaitMs: positiveInt.optional(),
  lockDurationMs: positiveInt.optional(),
  stalledIntervalMs: positiveInt.optional(),
  spoolDir: z.string().min(1, 'must name a folder').optional(),
  spoolMaxBytes: z.coerce.number().int('must be a whole number of bytes').min(0, 'must be 0 or more').optional(),
  storeProbeMs: positiveInt.min(100, 'must be at least 100').optional(),
});

const limiterSchema = z.strictObject({
  headroom: z.coerce.number().min(0).max(0.5).optional(),
  maxSleepMs: positiveInt.optional(),
  // Below ~10 ms ordinary timer jitter would make a job miss every slot it is given.
  lateToleranceMs: z.coerce.number().int().min(10).max(1000).optional(),
  decreaseFactor: z.coerce.number().gt(0).max(1).optional(),
  minRateFactor: z.coerce.number().gt(0).max(1).optional(),
  recoverStep: z.coerce.number().min(0).max(1).optional(),
});

const commaList = (name: string): z.ZodType<string[] | undefined, string | undefined> =>
  z
    .string()
    .optional()
    .transform((text) => text?.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .refine((list) => list === undefined || list.length > 0, `${name} must list at least one entry, comma-separated`);

const httpSchema = z.strictObject({
  allowedHosts: z.array(z.string().min(1)).min(1).optional(),
  trustProxy: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).optional(),
  requestTimeoutMs: positiveInt.optional(),
  headersTimeoutMs: positiveInt.optional(),
  authFailuresPerMinute: positiveInt.max(100_000).optional(),
  clients: apiClientsSchema.optional(),
});

/** Time a webhook receiver has to answer one delivery, ms. */
const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** At least an hour, at most ten years: a batch's data must outlive a look at its results. */
const batchRetentionDaysSchema = z
  .number('must be a number of days, e.g. 30')
  .min(1 / 24, 'must be at least 1/24 (an hour)')
  .max(3650, 'must be at most 3650 (ten years)');

/** Default days an ended batch's data stays in Redis. */
export const DEFAULT_BATCH_RETENTION_DAYS = 30;

const fileSchema = z.strictObject({
  deployments: z.array(deploymentFileEntrySchema).min(1).optional(),
  redis: z
    .strictObject({
      url: z.string().optional(),
      prefix: z.string().optional(),
      /** Days an ended batch's data stays in Redis (see Config.batchRetentionSeconds). */
      batchRetentionDays: batchRetentionDaysSchema.optional(),
    })
    .optional(),
  store: z
    .union([
      z.strictObject({ kind: z.literal('fs'), root: z.string().min(1) }),
      z.strictObject({
        kind: z.literal('blob'),
        container: z.string().min(3),
        prefix: z.string().optional(),
        accountUrl: z.url().optional(),
        /** Name of the env var holding the connection string (never the string itself). */
        connectionStringEnv: z.string().optional(),
      }),
    ])
    .optional(),
  worker: workerSchema.optional(),
  limiter: limiterSchema.optional(),
  /** Price overrides merged over the default table (see priceOverridesSchema). */
  prices: priceOverridesSchema.optional(),
  /** Outbound fetches: input images and `url` answers (see FetchSettings). */
  fetch: z
    .strictObject({
      allowPrivateAddresses: z.boolean().optional(),
      allowLoopback: z.boolean().optional(),
      timeoutMs: positiveInt.max(600_000).optional(),
      maxDownloadBytes: positiveInt.max(1_073_741_824).optional(),
    })
    .optional(),
  /** How `imgbatch serve` guards its HTTP surface (HttpSettings). */
  http: httpSchema.optional(),
  /** Where batches may send their webhook events (see WebhookSettings; the secret comes from IMGBATCH_WEBHOOK_SECRET). */
  webhooks: z
    .strictObject({
      allowedHosts: z.array(z.string().min(1).regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'must be a host name, or *. and a domain')),
      allowLoopbackHttp: z.boolean().optional(),
      timeoutMs: positiveInt.max(60_000).optional(),
    })
    .optional(),
  /**
   * Models added or overridden (see modelOverrideSchema), each with its prices if wanted:
   * `models: { gpt-image-9: { like: gpt-image-2, prices: { imageOutputUsdPerMillionTokens: 30 } } }`.
   */
  models: z.record(modelOverridesSchema.keyType, modelOverrideSchema.extend({ prices: modelPricesOverrideSchema.optional() })).optional(),
});

const envSchema = z.object({
  IMGBATCH_CONFIG: z.string().optional(),
  AZURE_OPENAI_ENDPOINT: z.url('must be a URL such as https://my-resource.openai.azure.com/').optional(),
  AZURE_OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_API_VERSION: z.string().min(1).optional(),
  AZURE_OPENAI_DEPLOYMENT_NAME: z.string().min(1).optional(),
  IMGBATCH_MODEL: z.string().min(1).optional(),
  IMGBATCH_AZURE_API: z.enum(AZURE_APIS, `must be one of ${AZURE_APIS.join(', ')}`).optional(),
  IMGBATCH_RATE_PER_MINUTE: z.coerce.number().positive().optional(),
  REDIS_URL: z.string().min(1).optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  IMGBATCH_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, "_" and "-"').optional(),
  IMGBATCH_OUTPUT_DIR: z.string().min(1).optional(),
  IMGBATCH_BATCH_RETENTION_DAYS: z.coerce.number('must be a number of days, e.g. 30').pipe(batchRetentionDaysSchema).optional(),
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  AZURE_STORAGE_ACCOUNT_URL: z.url().optional(),
  IMGBATCH_BLOB_CONTAINER: z.string().min(3).optional(),
  IMGBATCH_BLOB_PREFIX: z.string().optional(),
  IMGBATCH_CONCURRENCY: z.union([z.literal('auto'), positiveInt.max(100_000)]).optional(),
  IMGBATCH_TIMEOUT_MS: z.coerce.number().pipe(callTimeoutMsSchema).optional(),
  IMGBATCH_IMAGES_PER_CALL: positiveInt.max(10).optional(),
  IMGBATCH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  // Long enough that guessing it over HTTP is hopeless.
  IMGBATCH_API_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
  IMGBATCH_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)').optional(),
  IMGBATCH_HTTP_ALLOWED_HOSTS: commaList('IMGBATCH_HTTP_ALLOWED_HOSTS'),
  IMGBATCH_HTTP_TRUST_PROXY: z
    .string()
    .optional()
    .transform((text) => (text === undefined ? undefined : text === 'true' ? true : text === 'false' ? false : text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')))
    .refine((value) => !Array.isArray(value) || value.length > 0, 'must be true, false, or proxy addresses/CIDRs, comma-separated'),
  IMGBATCH_HTTP_REQUEST_TIMEOUT_MS: positiveInt.optional(),
  IMGBATCH_HTTP_HEADERS_TIMEOUT_MS: positiveInt.optional(),
  IMGBATCH_HTTP_AUTH_FAILURES_PER_MINUTE: positiveInt.max(100_000).optional(),
});

/**
 * Every environment variable the loader reads by its own name, for deployment files to check
 * theirs against. A config file can name more: `auth.apiKeyEnv` and `store.connectionStringEnv`.
 */
export const CONFIG_ENV_NAMES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

type Env = Readonly<Record<string, string | undefined>>;

/** Drops keys whose value is undefined, so a spread never overwrites a default with nothing. */
function definedOnly<T extends object>(value: T | undefined): { [K in keyof T]?: Exclude<T[K], undefined> } {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function describeIssues(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `${source}: ${path}: ${issue.message}`;
    })
    .join('\n');
}

function readConfigFile(path: string): z.output<typeof fileSchema> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(cause as Error).message}`, { cause });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(path, parsed.error));
  return parsed.data;
}

function checkModel(model: string, where: string, models: ModelCatalogue): void {
  if (models.find(model) === undefined) {
    throw new ConfigError(`${where}: model "${model}" is not a known image model (known: ${models.ids.join(', ')}; add others under models:)`);
  }
}

/**
 * The catalogue (built-in rows with the file's `models:` applied) and the price overrides, with
 * prices given beside a model (`models.X.prices`) moved into the `prices:` section's form.
 */
function modelsFromFile(file: z.output<typeof fileSchema>, path: string | undefined): { models: ModelCatalogue; prices: PriceOverrides | undefined } {
  if (file.models === undefined || path === undefined) return { models: BUILT_IN_CATALOGUE, prices: file.prices };
  const capabilities: Record<string, z.output<typeof modelOverrideSchema>> = {};
  const modelPrices: PriceOverrides['models'] = {};
  for (const [id, { prices, ...rest }] of Object.entries(file.models)) {
    capabilities[id] = rest;
    if (prices === undefined) continue;
    if (file.prices !== undefined && Object.hasOwn(file.prices.models, id)) {
      throw new ConfigError(`${path}: models.${id}.prices: ${id} also has prices under prices.models.${id}; give them in one place`);
    }
    modelPrices[id] = prices;
  }
  const models = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, capabilities, path));
  const hasModelPrices = Object.keys(modelPrices).length > 0;
  const prices = !hasModelPrices ? file.prices : { ...file.prices, models: { ...file.prices?.models, ...modelPrices } };
  return { models, prices };
}

function deploymentsFromFile(file: z.output<typeof fileSchema>, env: Env, path: string, models: ModelCatalogue): DeploymentConfig[] {
  const seen = new Set<string>();
  const targets = new Map<string, number>();
  return (file.deployments ?? []).map((entry, index) => {
    const where = `${path}: deployments[${index}]`;
    checkModel(entry.model, where, models);
    const name = entry.name ?? entry.deployment;
    if (seen.has(name)) throw new ConfigError(`${where}: name "${name}" is used twice; give each deployment its own name`);
    seen.add(name);
    // The limiter keeps one bucket per entry: two entries for one Azure deployment would each
    // spend its whole quota.
    const target = `${new URL(entry.endpoint).host.toLowerCase()}/${entry.deployment}`;
    const first = targets.get(target);
    if (first !== undefined) throw new ConfigError(`${where}: the same Azure deployment as deployments[${first}] (${target}); list each deployment once`);
    targets.set(target, index);
    let auth: DeploymentConfig['auth'];
    if (entry.auth === 'entra') {
      auth = { kind: 'entra' };
    } else {
      const apiKey = env[entry.auth.apiKeyEnv];
      if (apiKey === undefined || apiKey === '') {
        throw new ConfigError(`${where}: auth.apiKeyEnv names ${entry.auth.apiKeyEnv}, which is not set in the environment`);
      }
      auth = { kind: 'api-key', apiKey };
    }
    return {
      name,
      endpoint: entry.endpoint,
      deployment: entry.deployment,
      model: entry.model,
      ratePerMinute: entry.ratePerMinute,
      apiVersion: entry.apiVersion ?? (entry.api === 'v1' ? DEFAULT_V1_API_VERSION : DEFAULT_API_VERSION),
      ...(entry.api !== undefined && { api: entry.api }),
      auth,
      quotaUnit: entry.quotaUnit ?? 'request',
      priority: entry.priority ?? 1,
      pools: entry.pools ?? [],
      ...(entry.timeoutMs !== undefined && { timeoutMs: entry.timeoutMs }),
      ...(entry.expectedLatencyMs !== undefined && { expectedLatencyMs: entry.expectedLatencyMs }),
    };
  });
}

function deploymentFromEnv(env: z.output<typeof envSchema>, models: ModelCatalogue): DeploymentConfig | undefined {
  if (env.AZURE_OPENAI_ENDPOINT === undefined) return undefined;
  const deployment = env.AZURE_OPENAI_DEPLOYMENT_NAME;
  if (deployment === undefined) {
    throw new ConfigError('AZURE_OPENAI_DEPLOYMENT_NAME: must be set when AZURE_OPENAI_ENDPOINT is (the name of your image model deployment)');
  }
  const model = env.IMGBATCH_MODEL ?? deployment;
  const capabilities = models.find(model);
  if (capabilities === undefined) {
    throw new ConfigError(
      `IMGBATCH_MODEL: "${model}" is not a known image model (known: ${models.ids.join(', ')}); set it when the deployment name is not the model id`,
    );
  }
  return {
    name: deployment,
    endpoint: env.AZURE_OPENAI_ENDPOINT,
    deployment,
    model,
    ratePerMinute: env.IMGBATCH_RATE_PER_MINUTE ?? capabilities.defaultRatePerMinute,
    apiVersion: env.OPENAI_API_VERSION ?? (env.IMGBATCH_AZURE_API === 'v1' ? DEFAULT_V1_API_VERSION : DEFAULT_API_VERSION),
    ...(env.IMGBATCH_AZURE_API !== undefined && { api: env.IMGBATCH_AZURE_API }),
    // No key means keyless Entra ID (DefaultAzureCredential), as Azure's own samples do.
    auth: env.AZURE_OPENAI_API_KEY === undefined ? { kind: 'entra' } : { kind: 'api-key', apiKey: env.AZURE_OPENAI_API_KEY },
    quotaUnit: 'request',
    priority: 1,
    pools: [],
  };
}

function storeFrom(file: z.output<typeof fileSchema>, env: z.output<typeof envSchema>, rawEnv: Env, cwd: string): StoreConfig {
  const fileStore = file.store;
  if (fileStore?.kind === 'blob') {
    const connectionString = fileStore.connectionStringEnv === undefined ? undefined : rawEnv[fileStore.connectionStringEnv];
    if (fileStore.connectionStringEnv !== undefined && connectionString === undefined) {
      throw new ConfigError(`store.connectionStringEnv names ${fileStore.connectionStringEnv}, which is not set in the environment`);
    }
    return blobStore(fileStore.container, fileStore.prefix, connectionString, fileStore.accountUrl);
  }
  if (env.AZURE_STORAGE_CONNECTION_STRING !== undefined || env.AZURE_STORAGE_ACCOUNT_URL !== undefined) {
    return blobStore(env.IMGBATCH_BLOB_CONTAINER ?? 'imgbatch', env.IMGBATCH_BLOB_PREFIX, env.AZURE_STORAGE_CONNECTION_STRING, env.AZURE_STORAGE_ACCOUNT_URL);
  }
  return { kind: 'fs', root: resolve(cwd, env.IMGBATCH_OUTPUT_DIR ?? fileStore?.root ?? 'output') };
}

function blobStore(container: string, prefix: string | undefined, connectionString: string | undefined, accountUrl: string | undefined): StoreConfig {
  if (connectionString !== undefined && accountUrl !== undefined) {
    throw new ConfigError('blob store: set a connection string or an account URL (Entra ID), not both');
  }
  if (connectionString === undefined && accountUrl === undefined) {
    throw new ConfigError('blob store: needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL');
  }
  return {
    kind: 'blob',
    container,
    ...(prefix !== undefined && { prefix }),
    ...(connectionString !== undefined && { connectionString }),
    ...(accountUrl !== undefined && { accountUrl }),
  };
}

/**
 * Checks the Redis URL (its form; never echoing the password) and reads the TLS CA file, which
 * only means something for a `rediss://` URL.
 */
function redisSettings(url: string | undefined, caFile: string | undefined, cwd: string): { redisUrl: string | undefined; redisTlsCa: string | undefined } {
  const parsed = url === undefined ? undefined : parseRedisUrl(url);
  if (caFile === undefined) return { redisUrl: url, redisTlsCa: undefined };
  if (parsed?.isTls !== true) {
    throw new ConfigError(`REDIS_TLS_CA_FILE: set, but REDIS_URL is not a rediss:// (TLS) URL (got ${url === undefined ? 'none' : redactRedisUrl(url)})`);
  }
  const path = resolve(cwd, caFile);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`REDIS_TLS_CA_FILE: cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`REDIS_TLS_CA_FILE: ${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  return { redisUrl: url, redisTlsCa: pem };
}

export interface LoadConfigOptions {
  /** Default: `process.env`. */
  readonly env?: Env;
  /** Resolves relative paths; default `process.cwd()`. */
  readonly cwd?: string;
  /** Values that beat both file and environment (CLI flags). */
  readonly overrides?: { readonly worker?: Partial<WorkerSettings>; readonly outputDir?: string };
}

/**
 * Reads the environment and the optional config file (IMGBATCH_CONFIG, JSON or YAML) once,
 * validates everything, and returns a frozen Config. The only place that reads process.env.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  // An empty variable counts as unset: `${VAR:-}` in compose files and CI systems set them so.
  const rawEnv: Env = Object.fromEntries(Object.entries(options.env ?? process.env).filter(([, value]) => value !== undefined && value !== ''));
  const cwd = options.cwd ?? process.cwd();
  const parsedEnv = envSchema.safeParse(rawEnv);
  if (!parsedEnv.success) throw new ConfigError(describeIssues('environment', parsedEnv.error));
  const env = parsedEnv.data;

  const filePath = env.IMGBATCH_CONFIG === undefined ? undefined : resolve(cwd, env.IMGBATCH_CONFIG);
  const file = filePath === undefined ? {} : readConfigFile(filePath);

  const { models, prices } = modelsFromFile(file, filePath);
  const envDeployment = deploymentFromEnv(env, models);
  const fileDeployments = filePath === undefined ? [] : deploymentsFromFile(file, rawEnv, filePath, models);
  if (envDeployment !== undefined && fileDeployments.length > 0) {
    throw new ConfigError(`deployments come from ${filePath ?? 'the config file'} or from AZURE_OPENAI_ENDPOINT, not both: unset one`);
  }
  const deployments = envDeployment === undefined ? fileDeployments : [envDeployment];

  const worker: WorkerSettings = {
    ...DEFAULT_WORKER_SETTINGS,
    ...definedOnly(file.worker),
    // Relative to the config's working folder, like the store's root.
    ...(file.worker?.spoolDir !== undefined && { spoolDir: resolve(cwd, file.worker.spoolDir) }),
    ...(env.IMGBATCH_CONCURRENCY !== undefined && { concurrency: env.IMGBATCH_CONCURRENCY }),
    ...(env.IMGBATCH_TIMEOUT_MS !== undefined && { timeoutMs: env.IMGBATCH_TIMEOUT_MS }),
    ...(env.IMGBATCH_IMAGES_PER_CALL !== undefined && { imagesPerCall: env.IMGBATCH_IMAGES_PER_CALL }),
    ...definedOnly(options.overrides?.worker),
  };
  const store = storeFrom(
    file,
    options.overrides?.outputDir === undefined ? env : { ...env, IMGBATCH_OUTPUT_DIR: options.overrides.outputDir },
    rawEnv,
    cwd,
  );

  const redis = redisSettings(env.REDIS_URL ?? file.redis?.url, env.REDIS_TLS_CA_FILE, cwd);

  return Object.freeze({
    ...redis,
    redisPrefix: env.IMGBATCH_REDIS_PREFIX ?? file.redis?.prefix ?? 'imgbatch',
    batchRetentionSeconds: Math.round((env.IMGBATCH_BATCH_RETENTION_DAYS ?? file.redis?.batchRetentionDays ?? DEFAULT_BATCH_RETENTION_DAYS) * 86_400),
    deployments: Object.freeze(deployments.map((d) => Object.freeze({ ...d, auth: Object.freeze({ ...d.auth }), pools: Object.freeze([...d.pools]) }))),
    usesSimulator: deployments.length === 0,
    store: Object.freeze(store),
    worker: Object.freeze(worker),
    limiter: Object.freeze({ ...DEFAULT_LIMITER_SETTINGS, ...definedOnly(file.limiter) }),
    logLevel: env.IMGBATCH_LOG_LEVEL ?? 'info',
    apiToken: env.IMGBATCH_API_TOKEN,
    http: Object.freeze({
      ...definedOnly(file.http),
      ...definedOnly({
        allowedHosts: env.IMGBATCH_HTTP_ALLOWED_HOSTS,
        trustProxy: env.IMGBATCH_HTTP_TRUST_PROXY,
        requestTimeoutMs: env.IMGBATCH_HTTP_REQUEST_TIMEOUT_MS,
        headersTimeoutMs: env.IMGBATCH_HTTP_HEADERS_TIMEOUT_MS,
        authFailuresPerMinute: env.IMGBATCH_HTTP_AUTH_FAILURES_PER_MINUTE,
      }),
    }),
    prices: prices === undefined || filePath === undefined ? DEFAULT_PRICE_TABLE : applyPriceOverrides(DEFAULT_PRICE_TABLE, prices, filePath, models),
    models,
    fetch: Object.freeze({ ...DEFAULT_FETCH_SETTINGS, ...definedOnly(file.fetch) }),
    webhooks: Object.freeze({
      secret: env.IMGBATCH_WEBHOOK_SECRET,
      policy: Object.freeze({ allowedHosts: Object.freeze([...(file.webhooks?.allowedHosts ?? [])]), allowLoopbackHttp: file.webhooks?.allowLoopbackHttp ?? false }),
      timeoutMs: file.webhooks?.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    }),
  });
}
