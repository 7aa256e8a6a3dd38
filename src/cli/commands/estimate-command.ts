import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { csvIngestArgs, describeCheck, planCsvIngest, reportNotices, reportRejections, saveRejects } from '../csv-ingest.js';
import { estimateCsvFile } from '../estimate-csv-file.js';
import type { CommandOutcome } from '../exit-code.js';
import { formatEstimate } from '../format-estimate.js';
import { formatRejections } from '../report-rejections.js';
import { workerOverrides } from '../worker-overrides.js';

export const estimateCommand = defineCommand({
  meta: {
    name: 'estimate',
    description:
      'Validate a CSV of prompts as enqueue would and print images, calls, expected cost by model (price table: defaults or the config file\'s prices:) and expected duration at the quotas of the deployments that serve each model. Enqueues nothing. Exit code 1 when rows are refused.',
  },
  args: {
    csv: { type: 'positional', description: 'CSV file with columns id, prompt, n, model, size, quality, style', required: true },
    batch: { type: 'string', description: 'Batch id, for the rejects file name (default: the file name)' },
    model: csvIngestArgs.model,
    prompt: csvIngestArgs.prompt,
    rejects: csvIngestArgs.rejects,
    'images-per-call': { type: 'string', description: 'Images per call for models that take n > 1 (default 1, or the config\'s)' },
    json: { type: 'boolean', description: 'Print the estimate as one JSON object', default: false },
  },
  async run({ args }): Promise<CommandOutcome> {
    const config = loadConfig({ overrides: { worker: workerOverrides(args) } });
    const plan = planCsvIngest(args, config.store);
    const { check, estimate, isSimulator } = await estimateCsvFile(plan, config);
    const rejectsFile = await saveRejects(plan, check.rejected);
    reportRejections(check.rejected, rejectsFile);
    reportNotices(check.notices);
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({ batchId: plan.batchId, ...check, rejected: formatRejections(check.rejected), rejectsFile: rejectsFile ?? null, estimate, quotasFrom: isSimulator ? 'built-in simulator' : 'config' })}\n`,
      );
    } else {
      process.stdout.write(`${describeCheck(plan.batchId, check)} (estimate, nothing enqueued)\n${formatEstimate(estimate, { isSimulator })}\n`);
    }
    return check.rejected.length > 0 ? 'incomplete' : 'done';
  },
});
