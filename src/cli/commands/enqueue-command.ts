import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createProducer } from '../../queue/producer.js';
import { checkCsvFile, csvIngestArgs, describeCheck, enqueueCsvFile, planCsvIngest, reportRejections, saveRejects } from '../csv-ingest.js';
import { formatRejections } from '../report-rejections.js';

export const enqueueCommand = defineCommand({
  meta: { name: 'enqueue', description: 'Validate a CSV of prompts and add its image jobs to Redis for workers to take. Adding the same file again adds nothing.' },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id (default: the file name)' },
    ...csvIngestArgs,
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const plan = planCsvIngest(args, config.store);
    const imagesPerCall = config.worker.imagesPerCall;

    if (plan.isDryRun || plan.isStrict) {
      const check = await checkCsvFile(plan, { imagesPerCall });
      if (plan.isDryRun || check.rejected.length > 0) {
        const rejectsFile = await saveRejects(plan, check.rejected);
        reportRejections(check.rejected, rejectsFile);
        const verdict = plan.isDryRun ? 'dry run, nothing enqueued' : '--strict: nothing enqueued because rows were refused';
        if (args.json) {
          process.stdout.write(`${JSON.stringify({ batchId: plan.batchId, ...check, rejected: formatRejections(check.rejected), enqueued: false, rejectsFile: rejectsFile ?? null })}\n`);
        } else {
          process.stdout.write(`${describeCheck(plan.batchId, check)} (${verdict})\n`);
        }
        process.exitCode = check.rejected.length > 0 ? 1 : 0;
        return;
      }
    }

    const producer = createProducer({ connection: config.redisUrl ?? 'redis://127.0.0.1:6379', prefix: config.redisPrefix, imagesPerCall });
    try {
      const result = await enqueueCsvFile(plan, producer, { progress: process.stderr });
      const rejectsFile = await saveRejects(plan, result.rejected);
      reportRejections(result.rejected, rejectsFile);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...result, rejected: formatRejections(result.rejected), enqueued: true, rejectsFile: rejectsFile ?? null })}\n`);
      } else {
        process.stdout.write(
          `batch ${result.batchId}: ${result.accepted} rows accepted, ${result.rejected.length} refused; ${result.imagesAdded} new images in ${result.jobsAdded} jobs, ${result.jobsAlreadyQueued} jobs already known\n`,
        );
      }
      process.exitCode = result.rejected.length > 0 ? 1 : 0;
    } finally {
      await producer.close();
    }
  },
});
