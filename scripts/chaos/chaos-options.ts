import { parseArgs } from 'node:util';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const share = z.coerce.number().min(0).max(1);

const chaosOptionsSchema = z.strictObject({
  /** Images in the batch (default 2000). */
  images: positiveInt.default(2_000),
  /** Worker processes kept running (default 3). */
  workers: positiveInt.max(16).default(3),
  /** Mean time between SIGKILLs of a random worker, ms; each kill waits this ±20 % (default 10000). */
  killEveryMs: positiveInt.default(10_000),
  /** Stop killing after this many kills; default no limit. */
  maxKills: z.coerce.number().int().min(0).optional(),
  /** Share of the images finished when redis-server is restarted once (default 0.4). */
  redisRestartAt: share.default(0.4),
  /** Share of the images finished when the store (Azurite) is stopped once (default 0.2). */
  storeOutageAt: share.default(0.2),
  /** How long the store stays stopped, ms; 0 for no outage (default 20000). */
  storeOutageMs: z.coerce.number().int().min(0).default(20_000),
  /** Share of the images finished when redis-server is paused once with SIGSTOP (default 0.6). */
  redisPauseAt: share.default(0.6),
  /** How long redis-server stays paused, ms; 0 for no pause (default 3 × the job lock, so every lock held then expires). */
  redisPauseMs: z.coerce.number().int().min(0).optional(),
  /**
   * The batch's `--max-cost` is the expected cost of its images times (1 + this) (default 0.5):
   * room for retries and kills, so the images themselves do not reach it; the run checks that
   * the spend, possibly billed calls included, stays under it.
   */
  budgetMargin: z.coerce.number().min(0).default(0.5),
  /**
   * Requests per minute of each of the two simulated deployments (default 600). With the
   * latency, this sets the calls in flight per worker, and so what one kill pays twice.
   */
  ratePerMinute: positiveInt.default(600),
  /** Mean simulated call latency, ms (default 50; sd is a third of it). */
  latencyMs: positiveInt.default(50),
  /** The workers' API call timeout, ms: hung calls end after this (default 2000). */
  timeoutMs: positiveInt.default(2_000),
  /** Job lock and stalled-check interval of the workers, ms: how soon a killed worker's job is taken over (default 4000). */
  lockMs: positiveInt.default(4_000),
  /** Share of calls answered 500 (default 0.05). */
  error500Rate: share.default(0.05),
  /** Share of calls that hang past the client timeout (default 0.02). */
  hangRate: share.default(0.02),
  /** Share of calls whose connection is reset (default 0.01). */
  resetRate: share.default(0.01),
  /** Mean time between bursts of 429s (a random deployment throttled for 1–3 s), ms; 0 for none (default 10000). */
  burstEveryMs: z.coerce.number().int().min(0).default(10_000),
  /** Seed of the simulator's fault draws and of the chaos schedule (default 1). */
  seed: z.coerce.number().int().default(1),
  /** Give up waiting for the batch after this long, ms (default 900000). */
  deadlineMs: positiveInt.default(900_000),
  /** Keep the temporary folder (Redis data, output, worker logs) for inspection (default false). */
  keep: z.boolean().default(false),
});

export type ChaosOptions = z.output<typeof chaosOptionsSchema>;

/** Flag name -> option name; every flag also reads from `CHAOS_<FLAG>` (e.g. CHAOS_IMAGES). */
const FLAGS = {
  images: 'images',
  workers: 'workers',
  'kill-every-ms': 'killEveryMs',
  'max-kills': 'maxKills',
  'redis-restart-at': 'redisRestartAt',
  'store-outage-at': 'storeOutageAt',
  'store-outage-ms': 'storeOutageMs',
  'redis-pause-at': 'redisPauseAt',
  'redis-pause-ms': 'redisPauseMs',
  'budget-margin': 'budgetMargin',
  rpm: 'ratePerMinute',
  'latency-ms': 'latencyMs',
  'timeout-ms': 'timeoutMs',
  'lock-ms': 'lockMs',
  'error500-rate': 'error500Rate',
  'hang-rate': 'hangRate',
  'reset-rate': 'resetRate',
  'burst-every-ms': 'burstEveryMs',
  seed: 'seed',
  'deadline-ms': 'deadlineMs',
} as const satisfies Record<string, keyof ChaosOptions>;

/** `--images 200` or `CHAOS_IMAGES=200`; a flag beats the environment. Throws naming the bad flag. */
export function parseChaosOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      keep: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const raw: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(FLAGS)) {
    const fromFlag = (values as Record<string, string | boolean | undefined>)[flag];
    const fromEnv = env[`CHAOS_${flag.toUpperCase().replaceAll('-', '_')}`];
    const value = typeof fromFlag === 'string' ? fromFlag : fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
    if (value !== undefined) raw[option] = value;
  }
  if (values.keep === true || env.CHAOS_KEEP === '1') raw.keep = true;
  const parsed = chaosOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const flagOf = (option: string): string => Object.entries(FLAGS).find(([, o]) => o === option)?.[0] ?? option;
    throw new Error(parsed.error.issues.map((issue) => `--${flagOf(String(issue.path[0]))}: ${issue.message}`).join('; '));
  }
  const options = parsed.data;
  if (options.error500Rate + options.hangRate + options.resetRate > 1) throw new Error('--error500-rate, --hang-rate and --reset-rate must add up to at most 1');
  return options;
}
