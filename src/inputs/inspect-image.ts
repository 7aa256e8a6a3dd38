
/** What the bytes of an input image are, read from its header (never from its file name). */
export interface InspectedImage {
  /** sharp's name of the format (`png`, `jpeg`, `gif`, `webp`, ...); undefined when the bytes are no image sharp knows. */
  readonly format: string | undefined;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly hasAlpha: boolean;
  readonly sizeBytes: number;
}

/**
 * Reads an image's format, dimensions and alpha channel from its bytes with sharp (libvips),
 * which parses only the header: a file named `.png` that holds a GIF is a GIF here.
 */
export async function inspectImage(bytes: Uint8Array): Promise<InspectedImage> {
  // Imported with the first image, not with the module: libvips loads in about a tenth of a
  // second, which every command that never reads an image would pay at start.
  const { default: sharp } = await import('sharp');
  try {
    const metadata = await sharp(bytes).metadata();
    return {
      format: metadata.format,
      widthPx: metadata.width,
      heightPx: metadata.height,
      hasAlpha: metadata.hasAlpha,
      sizeBytes: bytes.byteLength,
    };
  } catch {
    return { format: undefined, widthPx: 0, heightPx: 0, hasAlpha: false, sizeBytes: bytes.byteLength };
  }
}
