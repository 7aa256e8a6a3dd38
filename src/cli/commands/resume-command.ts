import { defineCommand } from 'citty';
import { resumeBatch } from '../../batch/resume-batch.js';
import { loadConfig } from '../../config/load-config.js';
import { formatUsd } from '../../cost/format-usd.js';
import { createLogger } from '../../log/logger.js';
import { createJobState } from '../../queue/job-state.js';
import { createKeySpace } from '../../queue/key-space.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { maxCostArgs, parseMaxCost } from '../max-cost-arg.js';
import { openBatch } from '../open-batch.js';

export const resumeCommand = defineCommand({
  meta: {
    name: 'resume',
    description:
      'Bring a batch back to "every image stored or filtered": images missing from the store are queued again, failed jobs get fresh attempts, images skipped for the budget are queued again (raise it with --max-cost). Images already stored are never made again. Workers (imgbatch worker) do the work.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    ...maxCostArgs,
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const maxCostUsd = parseMaxCost(args['max-cost']);
    const batch = await openBatch(config, args.batch);
    const store = await openResultStore(config.store, createLogger({ level: 'warn' }));
    try {
      const result = await resumeBatch(
        { queue: batch.producer.queue, batches: batch.producer.batches, jobState: createJobState(batch.redis, createKeySpace(batch.prefix)), store },
        args.batch,
        maxCostUsd === undefined ? {} : { maxCostUsd },
      );
      const summary = await batch.producer.batches.summary(args.batch);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ batchId: args.batch, ...result, pending: summary.pending, costUsd: summary.costUsd, maxCostUsd: summary.maxCostUsd ?? null })}\n`);
        return;
      }
      process.stdout.write(
        [
          `batch ${args.batch}:`,
          `  ${result.retried} failed jobs retried with fresh attempts`,
          `  ${result.requeued} finished jobs queued again (their images were missing from the store)`,
          `  ${result.forgottenOutcomes} images counted as done but missing from the store, to be made again`,
          ...(result.uncancelled > 0 ? [`  ${result.uncancelled} cancelled images queued again`] : []),
          ...(result.unskipped > 0 ? [`  ${result.unskipped} images skipped for the budget queued again`] : []),
          ...(result.releasedReservations > 0 ? [`  ${result.releasedReservations} budget reservations of calls no worker has in flight given back`] : []),
          `  cost so far ${formatUsd(summary.costUsd)}${summary.maxCostUsd === undefined ? ', no budget' : ` of the ${formatUsd(summary.maxCostUsd)} budget`}` +
            (result.unskipped > 0 && maxCostUsd === undefined && summary.maxCostUsd !== undefined ? ' (unchanged: images past it end skipped again; raise it with --max-cost)' : ''),
          ...(result.forgotten > 0 ? [`  ${result.forgotten} jobs of images missing from the store are no longer in Redis (completed jobs are not kept); enqueue the file again to make them`] : []),
          `  ${summary.pending} images pending; workers (imgbatch worker) make them`,
        ].join('\n') + '\n',
      );
    } finally {
      await store.close();
      await batch.close();
    }
  },
});
