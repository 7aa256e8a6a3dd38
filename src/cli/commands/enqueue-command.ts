import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { readCsvRequests } from '../../ingest/read-csv-requests.js';
import { createProducer } from '../../queue/producer.js';
import { batchIdFromPath } from '../batch-name.js';
import { formatRejections } from '../report-rejections.js';

export const enqueueCommand = defineCommand({
  meta: { name: 'enqueue', description: 'Validate a CSV of prompts and add its image jobs to Redis for workers to take. Adding the same file again adds nothing.' },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id (default: the file name)' },
    model: { type: 'string', description: 'Model for rows with an empty model cell' },
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const producer = createProducer({ connection: config.redisUrl ?? 'redis://127.0.0.1:6379', prefix: config.redisPrefix, imagesPerCall: config.worker.imagesPerCall });
    try {
      const result = await producer.enqueueInputs(readCsvRequests(args.csv, args.model === undefined ? {} : { defaultModel: args.model }), {
        batchId: args.batch ?? batchIdFromPath(args.csv),
      });
      for (const message of formatRejections(result.rejected)) process.stderr.write(`invalid: ${message}\n`);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...result, rejected: formatRejections(result.rejected) })}\n`);
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
