export interface ImageType {
  readonly contentType: string;
  readonly extension: string;
}

/**
 * The format the bytes' signature says (PNG, JPEG or WEBP, the formats the images API
 * returns), or undefined when they start like none of them.
 */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return { contentType: 'image/png', extension: 'png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { contentType: 'image/jpeg', extension: 'jpeg' };
  const isRiff = bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46;
  const isWebp = bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50;
  if (isRiff && isWebp) return { contentType: 'image/webp', extension: 'webp' };
  return undefined;
}

/** Reads the format from the bytes' signature; the request's output_format is only a hint. */
export function detectImageType(bytes: Uint8Array, hint: string | undefined): ImageType {
  return sniffImageType(bytes) ?? (hint === 'jpeg' ? { contentType: 'image/jpeg', extension: 'jpeg' } : { contentType: 'image/png', extension: 'png' });
}
