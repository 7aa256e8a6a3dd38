import { defineCommand } from 'citty';
import { resumeBatch } from '../../batch/resume-batch.js';
import { loadConfig } from '../../config/load-config.js';
import { createLogger } from '../../log/logger.js';
import { createJobState } from '../../queue/job-state.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createResultStore } from '../../storage/create-result-store.js';
import { openBatch } from '../open-batch.js';

export const resumeCommand = defineCommand({
  meta: {
    name: 'resume',
    description:
      'Bring a batch back to "every image stored or filtered": images missing from the store are queued again, failed jobs get fresh attempts. Images already stored are never made again. Workers (imgbatch worker) do the work.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const batch = await openBatch(config, args.batch);
    const store = createResultStore(config.store, createLogger({ level: 'warn' }));
    try {
      const result = await resumeBatch(
        { queue: batch.producer.queue, batches: batch.producer.batches, jobState: createJobState(batch.redis, createKeySpace(batch.prefix)), store },
        args.batch,
      );
      const summary = await batch.producer.batches.summary(args.batch);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ batchId: args.batch, ...result, pending: summary.pending })}\n`);
        return;
      }
      process.stdout.write(
        [
          `batch ${args.batch}:`,
          `  ${result.retried} failed jobs retried with fresh attempts`,
          `  ${result.requeued} finished jobs queued again (their images were missing from the store)`,
          `  ${result.forgottenOutcomes} images counted as done but missing from the store, to be made again`,
          ...(result.uncancelled > 0 ? [`  ${result.uncancelled} cancelled images queued again`] : []),
          ...(result.forgotten > 0 ? [`  ${result.forgotten} jobs no longer in Redis (past their retention); enqueue the file again to bring them back`] : []),
          `  ${summary.pending} images pending; workers (imgbatch worker) make them`,
        ].join('\n') + '\n',
      );
    } finally {
      await store.close();
      await batch.close();
    }
  },
});
