/**
 * The comparison point for `npm run bench:quota`: a worker written the way a typical BullMQ
 * user would write it. One queue, BullMQ's own limiter set to the summed quota per minute,
 * deployments taken round-robin, and the openai client's default retries. Not part of
 * imgbatch; it exists to be measured against.
 *
 * With BASELINE_NOOP=1 it is bare BullMQ instead, for `npm run bench:scale`: each job completes
 * at once, no call, no limiter; what is left is BullMQ's own Redis work per job.
 *
 * Env: REDIS_URL, BASELINE_QUEUE, BASELINE_PREFIX, BASELINE_DEPLOYMENTS (JSON: [{name, endpoint,
 * ratePerMinute}]), BASELINE_API_KEY, BASELINE_OUTPUT_DIR, BASELINE_CONCURRENCY, BASELINE_NOOP.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { AzureOpenAI } from 'openai';

interface Deployment {
  readonly name: string;
  readonly endpoint: string;
  readonly ratePerMinute: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const isNoop = process.env.BASELINE_NOOP === '1';
const connection = new Redis(required('REDIS_URL'), { maxRetriesPerRequest: null });
const concurrency = Number(process.env.BASELINE_CONCURRENCY ?? '50');

async function callingWorker(): Promise<Worker> {
  const deployments = JSON.parse(required('BASELINE_DEPLOYMENTS')) as Deployment[];
  const outputDir = required('BASELINE_OUTPUT_DIR');
  const totalRatePerMinute = deployments.reduce((sum, d) => sum + d.ratePerMinute, 0);
  const clients = deployments.map(
    (d) => new AzureOpenAI({ endpoint: d.endpoint, apiKey: required('BASELINE_API_KEY'), apiVersion: '2025-04-01-preview', deployment: d.name }),
  );
  let next = 0;
  await mkdir(outputDir, { recursive: true });
  return new Worker(
    required('BASELINE_QUEUE'),
    async (job) => {
      const data = job.data as { prompt: string; key: string };
      const index = next++ % clients.length;
      const client = clients[index];
      const deployment = deployments[index];
      if (client === undefined || deployment === undefined) throw new Error('no deployment');
      const result = await client.images.generate({ model: deployment.name, prompt: data.prompt, n: 1, size: '1024x1024' });
      const b64 = result.data?.[0]?.b64_json;
      if (b64 === undefined) throw new Error('no image in the response');
      await writeFile(join(outputDir, `${data.key}.png`), Buffer.from(b64, 'base64'));
      return { deployment: deployment.name };
    },
    { connection, prefix: required('BASELINE_PREFIX'), concurrency, limiter: { max: totalRatePerMinute, duration: 60_000 } },
  );
}

const worker = isNoop
  ? new Worker(required('BASELINE_QUEUE'), () => Promise.resolve({}), { connection, prefix: required('BASELINE_PREFIX'), concurrency })
  : await callingWorker();
worker.on('error', () => undefined);

const stop = (): void => {
  void worker.close().then(() => connection.quit()).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
