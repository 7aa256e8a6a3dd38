import { defineCommand } from 'citty';
import type { BatchSummary } from '../../batch/batch-registry.js';
import { resumeBatch } from '../../batch/resume-batch.js';
import { loadConfig } from '../../config/load-config.js';
import { readCsvRequests } from '../../ingest/read-csv-requests.js';
import { createLogger } from '../../log/logger.js';
import { createJobState } from '../../queue/job-state.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisConnection } from '../../queue/redis-connection.js';
import { createImageWorker } from '../../worker/image-worker.js';
import { batchIdFromPath } from '../batch-name.js';
import { openRuntime } from '../open-runtime.js';
import { createProgressReporter } from '../progress-reporter.js';
import { formatRejections } from '../report-rejections.js';
import { buildRunSummary, formatRunSummary } from '../run-summary.js';
import { workerOverrides } from '../worker-overrides.js';

export const runCommand = defineCommand({
  meta: {
    name: 'run',
    description:
      'Enqueue a CSV of prompts, work it to the end in this process, and print a summary. Without Azure settings it uses the embedded simulator. Exit code 0 only if every image ended stored or filtered.',
  },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id (default: the file name)' },
    model: { type: 'string', description: 'Model for rows with an empty model cell' },
    output: { type: 'string', description: 'Result folder (default ./output, or IMGBATCH_OUTPUT_DIR)' },
    concurrency: { type: 'string', description: 'Calls in flight at once, or auto (default auto: summed quota × 60 s calls, at least 32)' },
    'images-per-call': { type: 'string', description: 'Images per call for models that take n > 1 (default 1)' },
    json: { type: 'boolean', description: 'End with the summary as one JSON object on the last line', default: false },
    verbose: { type: 'boolean', description: 'Log every job event (JSON lines on stderr)', default: false },
  },
  async run({ args }) {
    const startedAt = performance.now();
    const config = loadConfig({
      overrides: { worker: workerOverrides(args), ...(args.output !== undefined && { outputDir: args.output }) },
    });
    const logger = createLogger({ level: args.verbose ? 'debug' : 'warn' });
    const runtime = await openRuntime(config, logger);
    const producer = createProducer({ connection: runtime.redis.url, prefix: config.redisPrefix, imagesPerCall: config.worker.imagesPerCall, logger });
    const workerConnection = createRedisConnection(runtime.redis.url, 'worker');
    const worker = createImageWorker({
      connection: workerConnection,
      prefix: config.redisPrefix,
      deployments: runtime.deployments,
      store: runtime.store,
      settings: config.worker,
      limiter: config.limiter,
      logger,
    });
    let exitCode = 1;
    try {
      const batchId = args.batch ?? batchIdFromPath(args.csv);
      const before: BatchSummary | undefined = await producer.batches.summary(batchId);
      const enqueued = await producer.enqueueInputs(readCsvRequests(args.csv, args.model === undefined ? {} : { defaultModel: args.model }), { batchId });
      for (const message of formatRejections(enqueued.rejected)) process.stderr.write(`invalid: ${message}\n`);
      process.stderr.write(
        `enqueued batch ${batchId}: ${enqueued.accepted} rows, ${enqueued.imagesAdded} new images in ${enqueued.jobsAdded} jobs` +
          (enqueued.jobsAlreadyQueued > 0 ? `, ${enqueued.jobsAlreadyQueued} jobs already known` : '') +
          (enqueued.rejected.length > 0 ? `, ${enqueued.rejected.length} rows refused` : '') +
          '\n',
      );

      if (enqueued.jobsAlreadyQueued > 0) {
        // A batch seen before: the store decides what is done, so images deleted since are made again.
        const resumed = await resumeBatch(
          { queue: producer.queue, batches: producer.batches, jobState: createJobState(workerConnection, createKeySpace(config.redisPrefix)), store: runtime.store },
          batchId,
        );
        if (resumed.requeued + resumed.retried > 0) {
          process.stderr.write(`resumed batch ${batchId}: ${resumed.requeued} jobs whose images are missing from the store added again, ${resumed.retried} failed jobs retried\n`);
        }
      }

      const progress = createProgressReporter(process.stderr, { baseline: before });
      let summary = await producer.batches.summary(batchId);
      for (;;) {
        progress.update(summary);
        if (summary.pending === 0) break;
        const open = await producer.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        // Jobs can end without an outcome only through a crash BullMQ gave up on; do not wait forever.
        if (Object.values(open).every((count) => count === 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
        summary = await producer.batches.summary(batchId);
      }
      progress.done();

      const result = buildRunSummary({
        before,
        after: summary,
        invalidRows: enqueued.rejected.length,
        wallMs: performance.now() - startedAt,
        output: runtime.store.description,
        redis: `${runtime.redis.url} (${runtime.redis.source})`,
        endpoint: runtime.simulator === undefined ? [...new Set(runtime.deployments.map((d) => d.endpoint))].join(', ') : `${runtime.simulator.url} (embedded simulator)`,
      });
      if (!result.ok) {
        const errors = await producer.batches.errors(batchId);
        for (const [key, message] of Object.entries(errors)) process.stderr.write(`${key}: ${message}\n`);
      }
      process.stdout.write(`${formatRunSummary(result)}\n`);
      if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      exitCode = result.ok ? 0 : 1;
    } finally {
      await worker.close();
      await workerConnection.quit();
      await producer.close();
      await runtime.close();
    }
    process.exitCode = exitCode;
  },
});
