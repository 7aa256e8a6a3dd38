import { createHash } from 'node:crypto';
import sharp from 'sharp';

export interface FakeImageRequest {
  readonly prompt: string;
  /** Index of the image within its call, so the n images of one call differ too. */
  readonly variant: number;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly format: 'png' | 'jpeg';
  /** Background pixels fully transparent (PNG only), as with `background: "transparent"`. */
  readonly isTransparent?: boolean;
  /** JPEG quality 1–100 (default 90); the request's `output_compression` when given. */
  readonly jpegQuality?: number;
}

export interface FakeImage {
  readonly bytes: Buffer;
  readonly contentType: 'image/png' | 'image/jpeg';
}

const PATTERNS = ['horizontal-stripes', 'vertical-stripes', 'checks', 'rings'] as const;

function isForeground(pattern: (typeof PATTERNS)[number], x: number, y: number, periodPx: number, widthPx: number, heightPx: number): boolean {
  switch (pattern) {
    case 'horizontal-stripes':
      return Math.floor(y / periodPx) % 2 === 0;
    case 'vertical-stripes':
      return Math.floor(x / periodPx) % 2 === 0;
    case 'checks':
      return (Math.floor(x / periodPx) + Math.floor(y / periodPx)) % 2 === 0;
    case 'rings':
      return Math.floor(Math.hypot(x - widthPx / 2, y - heightPx / 2) / periodPx) % 2 === 0;
  }
}

/**
 * A small real image whose colours and pattern come from a hash of the prompt and variant:
 * deterministic (the same call gives the same bytes) and different for different prompts, so
 * tests can tell which stored file came from which prompt.
 */
export async function fakeImage(request: FakeImageRequest): Promise<FakeImage> {
  const { widthPx, heightPx } = request;
  const hash = createHash('sha256').update(`${request.variant}\u0000${request.prompt}`).digest();
  const byte = (index: number): number => hash[index] ?? 0;
  const background = [byte(0), byte(1), byte(2)] as const;
  // The complement keeps the pattern visible whatever the background.
  const foreground = [255 - byte(0), byte(3), 255 - byte(2)] as const;
  const pattern = PATTERNS[byte(4) % PATTERNS.length] ?? 'checks';
  const periodPx = 2 + (byte(5) % 7);
  const isTransparent = request.isTransparent === true && request.format === 'png';

  const rgba = new Uint8Array(widthPx * heightPx * 4);
  for (let y = 0; y < heightPx; y++) {
    for (let x = 0; x < widthPx; x++) {
      const isFg = isForeground(pattern, x, y, periodPx, widthPx, heightPx);
      const [r, g, b] = isFg ? foreground : background;
      const offset = (y * widthPx + x) * 4;
      rgba[offset] = r;
      rgba[offset + 1] = g;
      rgba[offset + 2] = b;
      rgba[offset + 3] = isTransparent && !isFg ? 0 : 255;
    }
  }

  const pixels = sharp(rgba, { raw: { width: widthPx, height: heightPx, channels: 4 } });
  if (request.format === 'jpeg') {
    const quality = Math.min(100, Math.max(1, request.jpegQuality ?? 90));
    return { bytes: await pixels.jpeg({ quality }).toBuffer(), contentType: 'image/jpeg' };
  }
  return { bytes: await pixels.png().toBuffer(), contentType: 'image/png' };
}
