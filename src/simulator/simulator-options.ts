import { z } from 'zod';
import { ConfigError } from '../errors/imgbatch-error.js';
import { modelOverridesSchema } from '../models/model-overrides.js';

/** Which wait hints a simulated 429 carries; the real service has been seen sending each. */
const RATE_LIMIT_HEADER_MODES = ['ms-and-seconds', 'seconds', 'none'] as const;

const latencySchema = z.strictObject({
  /** Mean simulated service time in ms (default 50). */
  meanMs: z.number().min(0).default(50),
  /** Standard deviation of the service time in ms; the normal is truncated at 0 (default 10). */
  sdMs: z.number().min(0).default(10),
});

const simulatedDeploymentSchema = z.strictObject({
  /** Deployment name, the `{deployment}` path segment (and the SDK's `model`). */
  name: z
    .string()
    .min(1, 'must not be empty')
    .regex(/^[^/?#]+$/, 'must not contain "/", "?" or "#"'),
  /**
   * Model id behind the deployment: a row of the model table, or any other model (e.g. `gpt-4`)
   * to get the real `OperationNotSupported` 400.
   */
  model: z.string().min(1, 'must not be empty'),
  /** Quota in requests per minute, enforced as `max(1, floor(rpm / 6))` per 10 s window (default 60). */
  ratePerMinute: z.number().int('must be a whole number').min(1, 'must be at least 1').default(60),
  /** Simulated service time (default mean 50 ms, sd 10 ms). */
  latency: latencySchema.prefault({}),
  /**
   * Service time by the call's quality, beating `latency` for the qualities it names, e.g.
   * `{ "low": { "meanMs": 31200 }, "high": { "meanMs": 171300 } }` (default none).
   */
  latencyByQuality: z.record(z.string().min(1), latencySchema).optional(),
  /** Wait hints on a 429: `ms-and-seconds` (retry-after-ms + retry-after), `seconds`, `none` (default `ms-and-seconds`). */
  rateLimitHeaders: z.enum(RATE_LIMIT_HEADER_MODES).default('ms-and-seconds'),
});

const markersSchema = z.array(z.string().min(1, 'a marker must not be empty'));

const contentFilterSchema = z.strictObject({
  /** Prompt substrings (case-insensitive) that get the prompt rejected with a 400 (default `["gore"]`). */
  promptMarkers: markersSchema.default(['gore']),
  /** Prompt substrings whose generated images are all filtered: 400 `contentFilter` (default `["[output-filter]"]`). */
  outputMarkers: markersSchema.default(['[output-filter]']),
  /** Prompt substrings that make the last item of a 200 an error item (default `["[item-filter]"]`). */
  itemMarkers: markersSchema.default(['[item-filter]']),
});

const rateSchema = z.number().min(0, 'must be at least 0').max(1, 'must be at most 1');

const faultRatesSchema = z
  .strictObject({
    /** Seed of the PRNG behind fault draws and latencies, so runs repeat exactly (default 1). */
    seed: z.number().int('must be a whole number').default(1),
    /** Share of calls answered 500 (default 0). */
    error500Rate: rateSchema.default(0),
    /** Share of calls answered 503 text/plain (default 0). */
    error503Rate: rateSchema.default(0),
    /** Share of calls never answered until the client gives up (default 0). */
    hangRate: rateSchema.default(0),
    /** Share of calls whose connection is reset (default 0). */
    resetRate: rateSchema.default(0),
  })
  .refine((f) => f.error500Rate + f.error503Rate + f.hangRate + f.resetRate <= 1, {
    error: 'the fault rates must add up to at most 1',
  });

const simulatorOptionsSchema = z
  .strictObject({
    /** Interface to listen on (default `127.0.0.1`). */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port to listen on; 0 picks a free one (default 0). */
    port: z.number().int().min(0).max(65_535).default(0),
    /** The deployments the simulated resource has (default none: every call is a 404). */
    deployments: z.array(simulatedDeploymentSchema).default([]),
    /** Accepted `api-key` header values (default `["sim-key"]`). */
    apiKeys: z.array(z.string().min(1)).default(['sim-key']),
    /**
     * Accepted `Authorization: Bearer` tokens: a list, or `"any"` for any non-empty token
     * (default `[]`: bearer auth refused, as on a resource with local auth only).
     */
    bearerTokens: z.union([z.literal('any'), z.array(z.string().min(1))]).default([]),
    /** Length of the sliding rate window in ms (default 10000, as Microsoft's own simulator). */
    rateWindowMs: z.number().int().min(1).default(10_000),
    /** Content filter markers (defaults: `gore`, `[output-filter]`, `[item-filter]`). */
    contentFilter: contentFilterSchema.prefault({}),
    /** Random faults by rate (default none). */
    faults: faultRatesSchema.prefault({}),
    /** Width of every generated image in pixels, whatever size was asked (default 64). */
    imageWidthPx: z.number().int().min(1).max(4096).default(64),
    /** Height of every generated image in pixels, whatever size was asked (default 64). */
    imageHeightPx: z.number().int().min(1).max(4096).default(64),
    /** Images kept in memory for `url` responses; the oldest go first (default 1000). */
    maxStoredFiles: z.number().int().min(1).default(1000),
    /**
     * Where `url` answers point: `<filesBaseUrl>/<file name>`, for a server standing in for the
     * blob storage of the real service (it can fetch each file from `/_sim/files/<file name>`);
     * default the simulator's own `/_sim/files/`.
     */
    filesBaseUrl: z.url().optional(),
    /**
     * Models the simulated service knows beyond (or unlike) the built-in table, in the config
     * file's `models:` form, e.g. `{ "gpt-image-9": { "like": "gpt-image-2" } }` (default none).
     */
    models: modelOverridesSchema.optional(),
  })
  .superRefine((options, ctx) => {
    const seen = new Set<string>();
    options.deployments.forEach((deployment, index) => {
      if (seen.has(deployment.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['deployments', index, 'name'],
          message: `"${deployment.name}" is already the name of another deployment`,
        });
      }
      seen.add(deployment.name);
    });
  });

export type SimulatorOptionsInput = z.input<typeof simulatorOptionsSchema>;
export type SimulatorOptions = z.output<typeof simulatorOptionsSchema>;
export type SimulatedDeployment = z.output<typeof simulatedDeploymentSchema>;
export type ContentFilterMarkers = SimulatorOptions['contentFilter'];
export type FaultRates = SimulatorOptions['faults'];

/** Validates simulator options (a JSON config file or code), naming each bad field and value. */
export function parseSimulatorOptions(input: unknown): SimulatorOptions {
  const result = simulatorOptionsSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length === 0 ? 'options' : issue.path.map(String).join('.');
    const value = issue.input === undefined ? '' : ` (got ${JSON.stringify(issue.input)})`;
    return `${where}: ${issue.message}${value}`;
  });
  throw new ConfigError(`Invalid simulator options: ${problems.join('; ')}`, { cause: result.error });
}
