import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { formatUsd } from '../../cost/format-usd.js';
import { openConfiguredInputReader } from '../../inputs/open-configured-input-reader.js';
import { createLogger } from '../../log/logger.js';
import { createJobState } from '../../queue/job-state.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { csvIngestArgs, describeCheck, enqueueCsvFile, planCsvIngest, reportNotices, reportRejections, saveRejects } from '../csv-ingest.js';
import { estimateCsvFile } from '../estimate-csv-file.js';
import type { CommandOutcome } from '../exit-code.js';
import { budgetVerdictLine } from '../budget-verdict-line.js';
import { formatEstimate } from '../format-estimate.js';
import { maxCostArgs, parseMaxCost } from '../max-cost-arg.js';
import { callbackArgs, parseCallback } from '../callback-arg.js';
import { parsePriority, priorityArgs } from '../priority-arg.js';
import { formatRejections } from '../report-rejections.js';
import { reenqueueLines } from '../reenqueue-lines.js';
import { redisTargetOf } from '../redis-target-of.js';

export const enqueueCommand = defineCommand({
  meta: {
    name: 'enqueue',
    description:
      'Validate a CSV of prompts and add its image jobs to Redis for workers to take. Into a batch that exists, it adds the new rows and resumes the rest (imgbatch resume); stored images are never made again, and changed rows are listed and kept unless --redo-changed.',
  },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id (default: the file name)' },
    ...csvIngestArgs,
    ...maxCostArgs,
    ...callbackArgs,
    ...priorityArgs,
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }): Promise<CommandOutcome> {
    const config = loadConfig();
    const plan = planCsvIngest(args, config.store);
    const maxCostUsd = parseMaxCost(args['max-cost']);
    const callback = parseCallback(args, config.webhooks.policy);
    const priority = parsePriority(args.priority);
    const imagesPerCall = config.worker.imagesPerCall;

    if (plan.isDryRun || plan.isStrict) {
      // One pass validates and estimates: the estimate costs nothing extra.
      const { check, estimate, isSimulator } = await estimateCsvFile(plan, config);
      if (plan.isDryRun || check.rejected.length > 0) {
        const rejectsFile = await saveRejects(plan, check.rejected);
        reportRejections(check.rejected, rejectsFile);
        reportNotices(check.notices);
        const verdict = plan.isDryRun ? 'dry run, nothing enqueued' : '--strict: nothing enqueued because rows were refused';
        if (args.json) {
          process.stdout.write(
            `${JSON.stringify({ batchId: plan.batchId, ...check, rejected: formatRejections(check.rejected), enqueued: false, rejectsFile: rejectsFile ?? null, estimate, ...(maxCostUsd !== undefined && { maxCostUsd }) })}\n`,
          );
        } else {
          process.stdout.write(`${describeCheck(plan.batchId, check)} (${verdict})\n${formatEstimate(estimate, { isSimulator })}\n`);
          if (maxCostUsd !== undefined) process.stdout.write(`${budgetVerdictLine(estimate.expectedCostUsd, maxCostUsd)}\n`);
        }
        return check.rejected.length > 0 ? 'incomplete' : 'done';
      }
    }

    // Input images of edits are copied into the store the workers read.
    const store = await openResultStore(config.store, createLogger({ level: 'warn' }));
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    const producer = createProducer({
      connection: redis,
      prefix: config.redisPrefix,
      imagesPerCall,
      models: config.models,
      editInputs: { store, reader: await openConfiguredInputReader(config, store) },
    });
    try {
      const batch = { producer, store, jobState: createJobState(redis, createKeySpace(config.redisPrefix)) };
      const result = await enqueueCsvFile(plan, batch, { progress: process.stderr, maxCostUsd, redoChanged: args['redo-changed'], callback, priority });
      const rejectsFile = await saveRejects(plan, result.rejected);
      reportRejections(result.rejected, rejectsFile);
      reportNotices(result.notices);
      const { maxCostUsd: budget } = await producer.batches.summary(result.batchId);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...result, rejected: formatRejections(result.rejected), enqueued: true, rejectsFile: rejectsFile ?? null, maxCostUsd: budget ?? null })}\n`);
      } else {
        process.stdout.write(
          `batch ${result.batchId}: ${result.accepted} rows accepted, ${result.rejected.length} refused; ${result.imagesAdded} new images in ${result.jobsAdded} jobs, ${result.jobsAlreadyQueued} jobs already known` +
            `${budget === undefined ? '' : `; budget ${formatUsd(budget)}`}\n`,
        );
        for (const line of reenqueueLines(result)) process.stdout.write(`${line}\n`);
      }
      return result.rejected.length > 0 ? 'incomplete' : 'done';
    } finally {
      await producer.close();
      await redis.quit();
      await store.close();
    }
  },
});
