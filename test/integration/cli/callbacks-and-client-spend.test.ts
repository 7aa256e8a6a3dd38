import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBatchRegistry } from '../../../src/batch/batch-registry.js';
import { createClientLedger } from '../../../src/batch/client-ledger.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createWebhookDeliveryLog } from '../../../src/webhooks/webhook-delivery-state.js';
import { WEBHOOK_SIGNATURE_HEADER } from '../../../src/webhooks/webhook-signature.js';
import { useLocalHttpServers } from '../../helpers/local-http-server.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';

describe('imgbatch enqueue/run --callback, and status showing spend per API client and webhook deliveries', () => {
  const serveLocally = useLocalHttpServers();
  let redis: Redis;
  let dir: string;
  let csv: string;
  const prefix = uniquePrefix('cli-hooks');
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-cli-hooks-'));
    const config = join(dir, 'imgbatch.json');
    await writeFile(config, JSON.stringify({ webhooks: { allowedHosts: ['hooks.example.com'] } }));
    csv = join(dir, 'lamps.csv');
    await writeFile(csv, 'id,prompt,model\nlamp,A desk lamp,gpt-image-1-mini\n');
    env = { REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_CONFIG: config, IMGBATCH_OUTPUT_DIR: join(dir, 'out') };
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('enqueue --callback records the callback (per image with --callback-per-image); a host off the allow-list is refused before anything is enqueued', async () => {
    const registry = createBatchRegistry(redis, createKeySpace(prefix));
    const ok = await runCli(['enqueue', csv, '--batch', 'hooked', '--callback', 'https://hooks.example.com/imgbatch', '--callback-per-image'], env);
    expect(ok.code).toBe(0);
    expect(await registry.callbackOf('hooked')).toEqual({ url: 'https://hooks.example.com/imgbatch', perImage: true });

    const refused = await runCli(['enqueue', csv, '--batch', 'unhooked', '--callback', 'https://evil.test/x'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--callback: host evil.test is not on the config file');
    expect((await registry.summary('unhooked')).createdAt).toBeUndefined();
  });

  it("status shows each API client's spend, a batch's client and its webhook deliveries", async () => {
    const keys = createKeySpace(prefix);
    const registry = createBatchRegistry(redis, keys);
    await createClientLedger(redis, keys).claimBatch('shop-1', 'shop');
    await registry.addJobs('shop-1', [{ jobId: 'j1', images: 1 }], 1);
    // The workers' settle step: the call's cost goes to the batch and to the client that made it.
    await registry.settleCost('shop-1', 'j1', { callId: 'c1', usd: 0.25, images: [{ imageKey: 'shop-1/lamp-0', usd: 0.25 }] });
    await createWebhookDeliveryLog(redis, keys).write('shop-1', { eventId: 'evt_1-0', type: 'batch.ended', status: 'retrying', attempts: 2, lastHttpStatus: 503, updatedAt: Date.now() });

    const json = await runCli(['status', 'shop-1', '--json'], env);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as { clients: unknown; batch: Record<string, unknown> };
    expect(status.clients).toEqual([{ client: 'shop', todayUsd: 0.25, totalUsd: 0.25 }]);
    expect(status.batch).toMatchObject({ client: 'shop', costUsd: 0.25, webhooks: [{ eventId: 'evt_1-0', status: 'retrying', attempts: 2, lastHttpStatus: 503 }] });

    const text = await runCli(['status', 'shop-1'], env);
    expect(text.stdout).toContain('cost so far $0.2500 (no budget); made by API client shop');
    expect(text.stdout).toContain('  webhook batch.ended evt_1-0: retrying after 2 attempt(s) (last: HTTP 503)');
    expect(text.stdout).toMatch(/API clients \(spend today UTC \/ in all\):\n {2}shop {2}\$0\.2500 \/ \$0\.2500\n/);
  });

  it('run --callback delivers the batch.ended event, signed, before it exits, and says so', async () => {
    const received: Array<{ signature: string | undefined; body: Record<string, unknown> }> = [];
    const port = await serveLocally((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const signature = req.headers[WEBHOOK_SIGNATURE_HEADER];
        received.push({ signature: typeof signature === 'string' ? signature : undefined, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    const config = join(dir, 'local-hooks.json');
    await writeFile(config, JSON.stringify({ webhooks: { allowedHosts: ['127.0.0.1'], allowLoopbackHttp: true } }));
    const result = await runCli(['run', csv, '--batch', 'run-hooked', '--callback', `http://127.0.0.1:${port}/hook`], {
      ...env,
      IMGBATCH_CONFIG: config,
      IMGBATCH_WEBHOOK_SECRET: 'run-webhook-secret-0123456789',
    });
    expect(result.code).toBe(0);
    // Received before the process exited: nothing else delivers it (no `imgbatch worker` runs here).
    expect(received).toEqual([{ signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) as unknown, body: expect.objectContaining({ type: 'batch.ended', batchId: 'run-hooked' }) as unknown }]);
    expect(result.stderr).toMatch(/ {2}webhook batch\.ended \S+: delivered after 1 attempt\(s\)/);
  });
});
