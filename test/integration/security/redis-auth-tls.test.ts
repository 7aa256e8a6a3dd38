import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { describeRedisFailure } from '../../../src/queue/describe-redis-failure.js';
import type { RedisTarget } from '../../../src/queue/redis-connection.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { rejection } from '../../helpers/rejection.js';
import { uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';
import { startSecureRedis, type SecureRedis } from '../../helpers/secure-redis.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process.js';

const MODEL = 'gpt-image-1-mini';

describe('Redis with AUTH (password and ACL user) and with TLS', () => {
  let redis: SecureRedis | undefined;
  let simulator: Simulator | undefined;
  let producers: Producer[] = [];
  let worker: WorkerProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await worker?.stop(5_000);
    for (const producer of producers) await producer.close().catch(() => undefined);
    await simulator?.close();
    await redis?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    redis = simulator = worker = dir = undefined;
    producers = [];
  });

  /** Files under `folder`, recursively, with their text. */
  async function allText(folder: string): Promise<string> {
    const parts: string[] = [];
    for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name), 'latin1'));
    }
    return parts.join('\n');
  }

  /** A worker process on `redisUrl` and a producer on `target`; runs 4 images to the end. */
  async function runBatch(target: string | RedisTarget, redisUrl: string, prefix: string, extraEnv: Record<string, string> = {}): Promise<{ summary: BatchSummary; outputDir: string }> {
    simulator = await createSimulator({ deployments: [{ name: 'gpt', model: MODEL, ratePerMinute: 600, latency: { meanMs: 10, sdMs: 2 } }] });
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-secure-'));
    const outputDir = join(dir, 'output');
    const configPath = await writeWorkerConfig(dir, 'deployments.json', { deployments: [{ name: 'gpt', endpoint: simulator.url, model: MODEL, ratePerMinute: 600 }] });
    const producer = createProducer({ connection: target, prefix });
    producers.push(producer);
    worker = startWorkerProcess({ redisUrl, prefix, outputDir, configPath, extraEnv });
    await producer.enqueue(
      Array.from({ length: 4 }, (_, i) => ({ id: `mug-${i}`, prompt: `a mug ${i}`, model: MODEL })),
      { batchId: 'secure' },
    );
    let last: BatchSummary | undefined;
    const summary = await waitFor(
      async () => {
        last = await producer.batches.summary('secure');
        return last.pending === 0 && last.images > 0 ? last : undefined;
      },
      30_000,
      () => `batch unfinished: ${JSON.stringify(last)}\n${worker?.stderr().slice(-4_000) ?? ''}`,
    );
    return { summary, outputDir };
  }

  it('an ACL user limited to the prefix runs a batch; wrong passwords fail with WRONGPASS, and no password shows in logs, records or errors', async () => {
    const prefix = uniquePrefix('acl');
    // The user may touch only keys under the prefix's hash tag: imgbatch and BullMQ use no other.
    redis = await startSecureRedis({ userKeyPattern: `{${prefix}}*` });
    const url = redis.url('user');
    const { summary, outputDir } = await runBatch(url, url, prefix);
    expect(summary.counts).toMatchObject({ stored: 4, failed: 0 });

    const wrong = 'Wr0ngPassw0rd-xyz';
    const refused = createProducer({ connection: redis.url('user', wrong), prefix });
    producers.push(refused);
    const error = await rejection(refused.enqueue([{ prompt: 'a lamp', model: MODEL }], { batchId: 'refused' }));
    expect(String(error)).toMatch(/WRONGPASS/);
    // ioredis hangs the AUTH command, password and all, on the error; it must come out scrubbed.
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(wrong);

    // With a batch id, status reads Redis.
    const status = await runCli(['status', 'secure'], { REDIS_URL: redis.url('default', wrong), IMGBATCH_REDIS_PREFIX: prefix });
    expect(status.code).not.toBe(0);
    expect(status.stderr).toMatch(/^imgbatch: Redis refused the credentials in REDIS_URL: WRONGPASS/);
    expect(`${status.stdout}${status.stderr}`).not.toContain(wrong);

    await worker?.stop(5_000);
    // A worker given a wrong password logs why it cannot work, without the password.
    const refusedWorker = startWorkerProcess({ redisUrl: redis.url('user', wrong), prefix, outputDir, configPath: join(dir ?? '', 'deployments.json') });
    await refusedWorker.waitForLog('worker error', 20_000).finally(() => refusedWorker.kill());
    expect(refusedWorker.stderr()).toMatch(/WRONGPASS/);
    const seen = `${worker?.stderr() ?? ''}\n${refusedWorker.stderr()}\n${await allText(outputDir)}`;
    for (const secret of [redis.userPassword, redis.password, wrong]) expect(seen).not.toContain(secret);
  }, 60_000);

  it('rediss:// with the CA from REDIS_TLS_CA_FILE runs a batch; without the CA the certificate is refused, with a message that says so', async () => {
    const prefix = uniquePrefix('tls');
    redis = await startSecureRedis({ tls: true });
    const caFile = redis.caFile ?? '';
    const ca = await readFile(caFile, 'utf8');
    const url = redis.url('default');
    const { summary } = await runBatch({ url, tlsCa: ca }, url, prefix, { REDIS_TLS_CA_FILE: caFile });
    expect(summary.counts).toMatchObject({ stored: 4, failed: 0 });

    const withCa = await runCli(['status', 'secure', '--json'], { REDIS_URL: url, REDIS_TLS_CA_FILE: caFile, IMGBATCH_REDIS_PREFIX: prefix });
    expect(withCa.code, withCa.stderr).toBe(0);
    expect(withCa.stdout).toContain('"stored":4');

    const untrusted = createProducer({ connection: url, prefix });
    producers.push(untrusted);
    const refused = await rejection(untrusted.enqueue([{ prompt: 'a lamp', model: MODEL }], { batchId: 'untrusted' }));
    expect(describeRedisFailure(refused)).toMatch(/certificate.*REDIS_TLS_CA_FILE/);
    const withoutCa = await runCli(['status', 'secure'], { REDIS_URL: url, IMGBATCH_REDIS_PREFIX: prefix });
    expect(withoutCa.code).not.toBe(0);
    expect(withoutCa.stderr).toMatch(/^imgbatch: Redis could not be reached or used: .*certificate.*REDIS_TLS_CA_FILE/);
    expect(`${withoutCa.stdout}${withoutCa.stderr}`).not.toContain(redis.password);
  }, 60_000);
});
