const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/**
 * The media type of an image file extension (what the stores write: png, jpeg, webp);
 * `application/octet-stream` for anything else, so nothing unknown is served as a type a
 * browser would render as a page.
 */
export function imageContentType(extension: string): string {
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}
