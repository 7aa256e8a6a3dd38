import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { defineCommand } from 'citty';
import { createImgbatchClient } from '../../client/imgbatch-client.js';
import { loadConfig } from '../../config/load-config.js';
import { ValidationError } from '../../errors/imgbatch-error.js';
import { createLogger } from '../../log/logger.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { closeInOrder } from '../close-in-order.js';
import { openBatch } from '../open-batch.js';
import { MANIFEST_FORMATS, writeManifest, type ManifestFormat } from '../write-manifest.js';

function manifestFormat(value: string): ManifestFormat {
  const format = MANIFEST_FORMATS.find((f) => f === value);
  if (format === undefined) throw new ValidationError([{ field: '--format', reason: `"${value}" is not allowed (allowed: ${MANIFEST_FORMATS.join(', ')})` }]);
  return format;
}

export const resultsCommand = defineCommand({
  meta: {
    name: 'results',
    description:
      'A manifest of a batch, one row per image: id, variant, status, location, prompt, revised prompt, deployment, latency, attempts, error, cost (USD), then the row\'s extra columns. Images without a record (failed, rejected, pending) come from the batch in Redis.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    format: { type: 'string', description: 'csv (cells neutralised against spreadsheet formulas) or jsonl', default: 'csv' },
    out: { type: 'string', description: 'Write to this file instead of stdout' },
  },
  async run({ args }) {
    const format = manifestFormat(args.format);
    const config = loadConfig();
    const logger = createLogger({ level: 'warn' });
    const batch = await openBatch(config, args.batch);
    const store = await openResultStore(config.store, logger);
    const client = createImgbatchClient({ connection: batch.redis, prefix: batch.prefix, store, logger });
    try {
      const rows = () => client.manifest(args.batch);
      if (args.out === undefined) {
        await writeManifest(rows, format, process.stdout);
        return;
      }
      const out = createWriteStream(args.out);
      const count = await writeManifest(rows, format, out);
      out.end();
      await once(out, 'close');
      process.stderr.write(`${count} images of batch ${args.batch} written to ${args.out}\n`);
    } finally {
      await closeInOrder([() => client.close(), () => store.close(), () => batch.close()]);
    }
  },
});
