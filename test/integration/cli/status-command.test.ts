import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBatchRegistry } from '../../../src/batch/batch-registry.js';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { createSlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';


describe('imgbatch status and imgbatch deployments', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('status');
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-status-'));
    const config = join(dir, 'deployments.json');
    await writeFile(
      config,
      JSON.stringify({
        // The config moves gpt-image-1-mini's retirement to ten days from now.
        models: { 'gpt-image-1-mini': { lifecycle: { retiresOn: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10) } } },
        deployments: [
          { name: 'east', endpoint: 'https://east.example.invalid/', deployment: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600, auth: { apiKeyEnv: 'KEY' } },
          { name: 'west', endpoint: 'https://west.example.invalid/', deployment: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 300, priority: 2, auth: 'entra' },
        ],
      }),
    );
    env = { REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_CONFIG: config, KEY: 'secret-key-value' };
    const limiter = createSlotLimiter(redis, createKeySpace(prefix), DEFAULT_LIMITER_SETTINGS);
    await limiter.recordCall('east', 'ok');
    await limiter.recordCall('east', 'ok');
    await limiter.cooldown('west', 0);
    await limiter.cooldown('west', 30_000);
    await limiter.pause('east', 'auth (HTTP 401): Access denied due to invalid subscription key');
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows per deployment the configured and effective rate, calls and 429s in the last minute, and cooldown or pause with its reason', async () => {
    const result = await runCli(['status', '--json'], env);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as { deployments: Array<Record<string, unknown>> };
    expect(status.deployments).toEqual([
      expect.objectContaining({ name: 'east', priority: 1, configuredRatePerMinute: 600, effectiveRatePerMinute: 600, callsLastMinute: 2, rateLimitedLastMinute: 0 }),
      expect.objectContaining({ name: 'west', priority: 2, configuredRatePerMinute: 300, effectiveRatePerMinute: 210, callsLastMinute: 2, rateLimitedLastMinute: 2 }),
    ]);
    expect(status.deployments[0]?.state).toMatch(/^PAUSED: auth \(HTTP 401\).*imgbatch deployments resume east/);
    // Set to 30 s in beforeAll; a loaded machine may take a few seconds to start the CLI.
    expect(status.deployments[1]?.state).toMatch(/^cooling down (1\d|2\d|30) s after a 429$/);

    const table = await runCli(['status'], env);
    expect(table.stdout).toMatch(/^deployment\s+model\s+tier\s+rpm\s+effective\s+calls\/min\s+429s\/min\s+429s\s+state\s+model lifecycle$/m);
    expect(table.stdout).toMatch(/^west\s+gpt-image-1-mini\s+2\s+300\s+210\s+2\s+2\s+2\s+cooling down .* RETIRING \d{4}-\d{2}-\d{2} \((9|10) days\): move to gpt-image-2$/m);
    expect(`${table.stdout}${table.stderr}`).not.toContain('secret-key-value');
  });

  it('shows beside each deployment that its model retires within 30 days, and what to move to', async () => {
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { deployments: Array<Record<string, unknown>> };
    for (const deployment of status.deployments) expect(deployment['modelLifecycle']).toMatch(/^RETIRING \d{4}-\d{2}-\d{2} \((9|10) days\): move to gpt-image-2$/);
  });

  it('lists the deployments as status does, and resumes a paused deployment for every worker', async () => {
    const listed = await runCli(['deployments', '--json'], env);
    expect(listed.code).toBe(0);
    const deployments = (JSON.parse(listed.stdout) as { deployments: Array<Record<string, unknown>> }).deployments;
    expect(deployments.map((d) => d.name)).toEqual(['east', 'west']);
    expect(deployments[0]?.state).toMatch(/^PAUSED: auth \(HTTP 401\)/);

    const result = await runCli(['deployments', 'resume', 'east', '--json'], env);
    expect(JSON.parse(result.stdout)).toEqual({ deployment: 'east', wasPaused: true, pausedReason: 'auth (HTTP 401): Access denied due to invalid subscription key' });
    expect((await runCli(['deployments', 'resume', 'east'], env)).stdout).toBe('deployment east was not paused\n');
    const after = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { deployments: Array<Record<string, unknown>> };
    expect(after.deployments[0]?.state).toBe('ok');
  });

  it('with a batch id, shows its priority, counts its images not made by reason code and lists each with its code and message', async () => {
    const registry = createBatchRegistry(redis, createKeySpace(prefix));
    await registry.addJobs('shoes', ['a', 'b', 'c', 'd'].map((id) => ({ jobId: `shoes/${id}/v0`, images: 1 })), 1);
    await registry.recordOutcome('shoes', 'shoes/a-0', 'failed', 'HTTP 500 on each of 3 attempts', 'attempts_exhausted');
    await registry.recordOutcome('shoes', 'shoes/b-0', 'skipped', 'budget: $0.0100 of $0.0100 spent', 'budget_exceeded');
    await registry.recordOutcome('shoes', 'shoes/c-0', 'skipped', 'budget: $0.0100 of $0.0100 spent', 'budget_exceeded');
    await registry.recordOutcome('shoes', 'shoes/d-0', 'stored');
    await registry.setPriority('shoes', 'bulk');

    const json = await runCli(['status', 'shoes', '--json'], env);
    expect(json.code).toBe(0);
    const { batch } = JSON.parse(json.stdout) as { batch: Record<string, unknown> };
    expect(batch.priority).toBe('bulk');
    expect(batch.reasonCounts).toEqual({ attempts_exhausted: 1, budget_exceeded: 2 });
    expect(batch.errors).toMatchObject({ 'shoes/a-0': 'HTTP 500 on each of 3 attempts' });

    const text = await runCli(['status', 'shoes'], env);
    expect(text.stdout).toContain('(0 answered 429); priority bulk\n');
    expect(text.stdout).toContain('  by reason: 1 attempts_exhausted, 2 budget_exceeded\n');
    expect(text.stdout).toContain('  shoes/a-0: [attempts_exhausted] HTTP 500 on each of 3 attempts\n');
    expect(text.stdout).toContain('  shoes/c-0: [budget_exceeded] budget: $0.0100 of $0.0100 spent\n');
  });
});
