import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defineCommand } from 'citty';
import { createImgbatchClient } from '../../client/imgbatch-client.js';
import { loadConfig } from '../../config/load-config.js';
import { ValidationError } from '../../errors/imgbatch-error.js';
import { readAhead } from '../../gallery/read-ahead.js';
import { renderGallery, type GalleryRow } from '../../gallery/render-gallery.js';
import { selectGalleryRows } from '../../gallery/select-gallery-rows.js';
import { thumbnailDataUri } from '../../gallery/thumbnail-data-uri.js';
import { imageKey } from '../../job/image-job.js';
import { createLogger } from '../../log/logger.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { closeInOrder } from '../close-in-order.js';
import { openBatch } from '../open-batch.js';
import { wholeNumberArg } from '../whole-number-arg.js';

export const galleryCommand = defineCommand({
  meta: {
    name: 'gallery',
    description:
      'Write one self-contained HTML contact sheet of a batch: a thumbnail per image (embedded, no network needed) with its prompt, status and the filter verdict or last error, with buttons to show one status at a time.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    out: { type: 'string', description: 'The HTML file to write (default <batch>-gallery.html, or <batch>-gallery-p<N>.html for --page N > 1)' },
    'max-images': {
      type: 'string',
      description: 'Tiles per page, each with a 256 px JPEG thumbnail of 10–25 KB (default 500: a file of about 5–12 MB); larger batches are split into pages, see --page',
      default: '500',
    },
    page: { type: 'string', description: 'Which page of --max-images tiles to write, in id order (default 1)', default: '1' },
  },
  async run({ args }) {
    const maxImages = wholeNumberArg('max-images', args['max-images'], 1);
    const page = wholeNumberArg('page', args.page, 1);
    const out = args.out ?? `${args.batch}-gallery${page === 1 ? '' : `-p${page}`}.html`;
    const config = loadConfig();
    const logger = createLogger({ level: 'warn' });
    const batch = await openBatch(config, args.batch);
    const store = await openResultStore(config.store, logger);
    const client = createImgbatchClient({ connection: batch.redis, prefix: batch.prefix, store, logger });
    try {
      const selection = await selectGalleryRows(client.manifest(args.batch), { offset: (page - 1) * maxImages, limit: maxImages });
      const pages = Math.max(1, Math.ceil(selection.total / maxImages));
      if (page > pages) throw new ValidationError([{ field: '--page', reason: `${page} is past the last page: ${selection.total} images make ${pages} page(s) of ${maxImages}` }]);
      const first = (page - 1) * maxImages + 1;
      const isPartial = pages > 1;
      const unreadable: string[] = [];
      const thumbnail = readAhead(selection.rows, async (row: GalleryRow) => {
        if (row.status !== 'stored') return undefined;
        const key = imageKey(args.batch, row.id, row.variant);
        try {
          // The row already carries the record's location: one read per image, not two.
          const image = await store.readImage({ key, location: row.location });
          return image === null ? undefined : await thumbnailDataUri(image);
        } catch (error) {
          // One image the store cannot give (after its retries) costs its thumbnail, not the page.
          unreadable.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        }
      });
      const html = renderGallery({
        title: `Batch ${args.batch}`,
        subtitle: `${new Date().toISOString()} · images in ${store.description}`,
        rows: selection.rows,
        totals: selection.totals,
        ...(isPartial && {
          notice: `Page ${page} of ${pages}: images ${first}–${first + selection.rows.length - 1} of ${selection.total} in id order. Write the others with --page, or browse them on the dashboard's batch page (imgbatch serve).`,
        }),
        imageSrc: thumbnail,
      });
      await pipeline(Readable.from(html), createWriteStream(out));
      const { size } = await stat(out);
      if (unreadable.length > 0) process.stderr.write(`${unreadable.length} image(s) could not be read and show no thumbnail; the first: ${unreadable[0] ?? ''}\n`);
      process.stderr.write(`${selection.rows.length} of ${selection.total} images of batch ${args.batch} written to ${out} (${(size / 1024 / 1024).toFixed(1)} MB)\n`);
    } finally {
      await closeInOrder([() => client.close(), () => store.close(), () => batch.close()]);
    }
  },
});
