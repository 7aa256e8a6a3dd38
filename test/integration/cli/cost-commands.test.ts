import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';

const FIXTURE = join('test', 'fixtures', 'csv', 'estimate.csv');

describe('imgbatch estimate and --dry-run (the CLI, in its own process; nothing enqueued)', () => {
  let dir: string;
  const env = (): Record<string, string> => ({ IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-estimate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // hero: gpt-image-1.5 high 1536x1024, 2 calls of 6240 tokens × $32/1M + 5 prompt tokens × $5/1M = $0.39941.
  // icon: gpt-image-1-mini low 1024², 3 images at the $0.005 list price = $0.015 in 3 calls.
  // poster: gpt-image-1.5 medium 1024x1536, 1584 tokens × $32/1M + 2 prompt tokens × $5/1M = $0.050698.
  // Rows 5 (n = 0), 6 (a size gpt-image-1.5 does not make) and 7 (dall-e-3, retired) are refused.
  it('prints images, calls, expected cost by model and the duration at the quotas; bad rows reported as by enqueue --dry-run', async () => {
    const result = await runCli(['estimate', FIXTURE, '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid: row 5: n: 0 is below the minimum of 1');
    expect(result.stderr).toMatch(/invalid: row 6: size: "1792x1024" is not allowed for gpt-image-1\.5/);
    expect(result.stderr).toContain('invalid: row 7: model: dall-e-3 was retired on Azure on 2026-03-04 (its deployments no longer answer); use gpt-image-1-mini instead');
    expect(result.stderr).toContain(`refused rows written to ${join(dir, 'output', 'estimate.rejects.csv')}`);
    const out = JSON.parse(result.stdout) as { accepted: number; images: number; jobs: number; quotasFrom: string; estimate: Record<string, unknown> & { models: Array<Record<string, unknown>> } };
    expect(out).toMatchObject({ accepted: 3, images: 6, jobs: 6, quotasFrom: 'built-in simulator' });
    // Without deployments, the built-in simulator's 60 calls/min per model: 3 calls of each take 3 s.
    expect(out.estimate).toMatchObject({ images: 6, calls: 6, expectedCostUsd: 0.465108, expectedDurationSeconds: 3 });
    expect(out.estimate.models).toEqual([
      expect.objectContaining({ model: 'gpt-image-1.5', images: 3, calls: 3, expectedCostUsd: 0.450108, bases: ['tokens'], deployments: ['gpt-image-1.5'], callsPerMinute: 60, expectedDurationSeconds: 3 }),
      expect.objectContaining({ model: 'gpt-image-1-mini', images: 3, calls: 3, expectedCostUsd: 0.015, bases: ['per-image'], expectedDurationSeconds: 3 }),
    ]);
  });

  it('uses the configured deployments\' quotas and the config file\'s prices, and says which deployments serve each model', async () => {
    const configPath = join(dir, 'imgbatch.yaml');
    await writeFile(
      configPath,
      [
        'deployments:',
        '  - { name: east, endpoint: "https://east.example.com/", deployment: g15, model: gpt-image-1.5, ratePerMinute: 6, auth: { apiKeyEnv: KEY } }',
        '  - { name: west, endpoint: "https://west.example.com/", deployment: g15, model: gpt-image-1.5, ratePerMinute: 6, auth: { apiKeyEnv: KEY } }',
        'prices:',
        '  takenOn: 2026-12-01',
        '  source: our price sheet',
        '  models:',
        '    gpt-image-1.5: { imageOutputUsdPerMillionTokens: 30 }',
        'models:',
        `  gpt-image-1-mini: { lifecycle: { retiresOn: ${new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)} } }`,
      ].join('\n'),
    );
    const result = await runCli(['estimate', FIXTURE], { ...env(), IMGBATCH_CONFIG: configPath, KEY: 'k' });
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('batch estimate: 6 rows: 3 valid, 3 refused; 6 images in 6 calls (estimate, nothing enqueued)');
    expect(lines[1]).toBe('expected cost $0.4370 for 6 images in 6 calls; expected duration unknown (a model has no deployment, see below)');
    // 3 calls at 6 + 6 calls/min: 15 s; 6240 × $30/1M + 5 × $5/1M twice, 1584 × $30/1M + 2 × $5/1M once.
    expect(lines).toContain('  gpt-image-1.5: 3 images in 3 calls, $0.4220 (expected tokens); 12 calls/min on east, west: 15 s');
    expect(lines).toContain('  gpt-image-1-mini: 3 images in 3 calls, $0.0150 (per-image price); no configured deployment serves it: duration unknown');
    // The config moved gpt-image-1-mini's retirement to ten days from now: taken, with a warning.
    expect(result.stderr).toMatch(/^warning: gpt-image-1-mini retires on Azure on \d{4}-\d{2}-\d{2}, in (9|10) days: calls after that fail; move to gpt-image-2 \(1 row\)$/m);
    expect(lines).toContain('prices of 2026-12-01: our price sheet; other prices: defaults of 2026-12-06');
  });

  it('enqueue --dry-run prints the same estimate, and says whether --max-cost covers it', async () => {
    const result = await runCli(['enqueue', FIXTURE, '--dry-run', '--max-cost', '0.30'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('batch estimate: 6 rows: 3 valid, 3 refused; 6 images in 6 calls (dry run, nothing enqueued)');
    expect(result.stdout).toContain('expected cost $0.4651 for 6 images in 6 calls');
    expect(result.stdout).toContain('budget $0.3000: the expected cost is over it by $0.1651');
    const json = await runCli(['enqueue', FIXTURE, '--dry-run', '--json'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({ enqueued: false, estimate: { expectedCostUsd: 0.465108 } });
  });

  it('refuses a --max-cost that is not an amount', async () => {
    const result = await runCli(['enqueue', FIXTURE, '--dry-run', '--max-cost', 'lots'], env());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-cost: "lots" is not an amount in USD');
  });
});

describe('imgbatch run --max-cost, status and resume (embedded simulator, real Redis)', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('budget');
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-budget-'));
    // Five gpt-image-1.5 low 1024² images of 15-character prompts: $0.008724 each, expected and billed.
    const rows = ['id,prompt,model,quality'];
    for (let i = 0; i < 5; i++) rows.push(`kite-${i},A kite number ${i},gpt-image-1.5,low`);
    await writeFile(join(dir, 'kites.csv'), rows.join('\n'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, `${prefix}-simulator`);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at the budget with the rest skipped (exit 1); resume --max-cost raises it and the next run makes only those', async () => {
    const first = await runCli(['run', join(dir, 'kites.csv'), '--max-cost', '0.02', '--json'], env());
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ images: 5, stored: 2, skipped: 3, apiCalls: 2, costUsd: 0.017448, batchCostUsd: 0.017448, maxCostUsd: 0.02, ok: false });
    expect(first.stderr).toContain('cost         $0.0174 this run; $0.0174 for the batch so far of its $0.0200 budget');
    expect(first.stderr).toContain('3 images skipped at the budget (raise it with --max-cost)');
    expect(first.stderr).toMatch(/^3 images skipped, e\.g\. kites\/kite-\d-0: budget: /m);

    const status = await runCli(['status', 'kites', '--json'], env());
    expect(JSON.parse(status.stdout)).toMatchObject({ batch: { costUsd: 0.017448, inFlightCostUsd: 0, maxCostUsd: 0.02, counts: { stored: 2, skipped: 3 } } });

    const resumed = await runCli(['resume', 'kites', '--max-cost', '1', '--json'], env());
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ unskipped: 3, pending: 3, costUsd: 0.017448, maxCostUsd: 1 });

    const second = await runCli(['run', join(dir, 'kites.csv'), '--json'], env());
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ stored: 5, skipped: 0, apiCalls: 3, costUsd: 0.026172, batchCostUsd: 0.04362, maxCostUsd: 1, ok: true });

    const manifest = await runCli(['results', 'kites', '--format', 'jsonl'], env());
    const rows = manifest.stdout.trim().split('\n').map((line) => JSON.parse(line) as { status: string; cost: number });
    expect(rows.map((r) => [r.status, r.cost])).toEqual(Array.from({ length: 5 }, () => ['stored', 0.008724]));
    const record = JSON.parse(await readFile(join(dir, 'output', 'kites', 'kite-0-0.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ costUsd: 0.008724, costSource: 'usage' });
  });
});
