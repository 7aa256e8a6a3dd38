// Draws the demo's input images for edits (jobs/product-*.png) with sharp: a product photo, a
// mask for it (fully transparent where the edit goes) and a second product for a multi-image
// edit. Flat shapes keep each file small; run again to make them anew.
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const SIZE_PX = 1024;
const jobs = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'jobs');

function svg(body: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE_PX}" height="${SIZE_PX}" viewBox="0 0 ${SIZE_PX} ${SIZE_PX}">${body}</svg>`);
}

const backdrop = `<rect width="1024" height="1024" fill="#f3f1ec"/><ellipse cx="512" cy="840" rx="330" ry="46" fill="#dedad2"/>`;

// A white mug with a red band, front view.
const mug = svg(
  `${backdrop}<rect x="312" y="330" width="340" height="500" rx="36" fill="#ffffff" stroke="#c9c4ba" stroke-width="6"/>` +
    `<rect x="312" y="470" width="340" height="120" fill="#c8322d"/>` +
    `<path d="M652 420 q150 0 150 150 q0 150 -150 150" fill="none" stroke="#ffffff" stroke-width="48"/>` +
    `<path d="M652 420 q150 0 150 150 q0 150 -150 150" fill="none" stroke="#c9c4ba" stroke-width="6"/>`,
);

// A saucer, seen slightly from above.
const saucer = svg(
  `${backdrop}<ellipse cx="512" cy="660" rx="360" ry="120" fill="#ffffff" stroke="#c9c4ba" stroke-width="6"/>` +
    `<ellipse cx="512" cy="650" rx="170" ry="52" fill="#efece6" stroke="#c9c4ba" stroke-width="4"/>`,
);

// Opaque everywhere except the mug's red band (x 312–652, y 470–590): the area the masked edit
// may change, marked by alpha 0 as Azure's docs ask.
function bandMask(): Promise<Buffer> {
  const rgba = Buffer.alloc(SIZE_PX * SIZE_PX * 4, 0);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  for (let y = 470; y < 590; y++) for (let x = 312; x < 652; x++) rgba[(y * SIZE_PX + x) * 4 + 3] = 0;
  return sharp(rgba, { raw: { width: SIZE_PX, height: SIZE_PX, channels: 4 } }).png().toBuffer();
}

async function write(name: string, image: Buffer, options: { readonly hasAlpha: boolean }): Promise<void> {
  const pipeline = sharp(image);
  // A palette PNG of the photos keeps them a few KB; the mask keeps a real alpha channel.
  const png = options.hasAlpha ? pipeline.ensureAlpha().png({ compressionLevel: 9 }) : pipeline.removeAlpha().png({ palette: true, compressionLevel: 9 });
  const bytes = await png.toBuffer();
  await writeFile(resolve(jobs, name), bytes);
  process.stdout.write(`wrote jobs/${name} (${bytes.byteLength} bytes)\n`);
}

await write('product-mug.png', mug, { hasAlpha: false });
await write('product-saucer.png', saucer, { hasAlpha: false });
await write('product-mug-mask.png', await bandMask(), { hasAlpha: true });
