import type { EditCapabilities } from '../models/model-table.js';
import type { InspectedImage } from './inspect-image.js';

function formatName(format: string | undefined): string {
  if (format === undefined) return 'not an image (its bytes are no format imgbatch can read)';
  const names: Readonly<Record<string, string>> = { jpeg: 'a JPEG', png: 'a PNG', gif: 'a GIF', webp: 'a WebP', svg: 'an SVG', tiff: 'a TIFF', heif: 'a HEIF', avif: 'an AVIF' };
  return `${names[format] ?? `a ${format.toUpperCase()}`} by its bytes`;
}

/** Decimal megabytes, as the model table counts its limits. */
function megabytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

/** "over the limit" for a size: Azure says each input "must be less than 50 MB", the mask "less than 4 MB". */
export function sizeProblem(sizeBytes: number, maxBytes: number): string | undefined {
  return sizeBytes >= maxBytes ? `is ${megabytes(sizeBytes)} (${sizeBytes} bytes); it must be less than ${megabytes(maxBytes)}` : undefined;
}

/**
 * Why an input image cannot be sent to the edits endpoint, or undefined when it can: it must be
 * a PNG or JPEG by its bytes and less than the model's byte limit (Azure: "Each input image must
 * be less than 50 MB in size and must be a PNG or JPG file").
 */
export function imageInputProblem(image: InspectedImage, limits: EditCapabilities): string | undefined {
  const tooBig = sizeProblem(image.sizeBytes, limits.maxInputBytes);
  if (tooBig !== undefined) return tooBig;
  if (image.format !== 'png' && image.format !== 'jpeg') return `is ${formatName(image.format)}, not PNG or JPEG`;
  return undefined;
}

/**
 * Why a mask cannot be sent, or undefined when it can. Azure: the mask is a PNG, "less than
 * 4 MB", with "the same dimensions as the input image" (the first, when there are several),
 * whose fully transparent pixels (alpha 0) mark where to edit: without an alpha channel it
 * marks nothing.
 */
export function maskProblem(mask: InspectedImage, firstImage: Pick<InspectedImage, 'widthPx' | 'heightPx'>, limits: EditCapabilities): string | undefined {
  const tooBig = sizeProblem(mask.sizeBytes, limits.maxMaskBytes);
  if (tooBig !== undefined) return tooBig;
  if (mask.format !== 'png') return `is ${formatName(mask.format)}; a mask must be a PNG`;
  if (!mask.hasAlpha) return 'has no alpha channel; a mask marks the area to edit with fully transparent pixels';
  if (mask.widthPx !== firstImage.widthPx || mask.heightPx !== firstImage.heightPx) {
    return `is ${mask.widthPx}x${mask.heightPx}; a mask must have the first input image's dimensions, ${firstImage.widthPx}x${firstImage.heightPx}`;
  }
  return undefined;
}
