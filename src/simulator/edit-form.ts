import { createHash } from 'node:crypto';
import sharp from 'sharp';

/** One file part of a multipart edit call, as the simulated service saw it. */
export interface FormFile {
  /** The form field it came in: `image`, `image[]` or `mask`. */
  readonly field: string;
  readonly filename: string;
  /** The part's declared Content-Type (the client's claim; the checks read the bytes). */
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Format by its bytes (sharp), undefined when no image. */
  readonly format: string | undefined;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly hasAlpha: boolean;
}

/** A multipart/form-data body: text fields (last value wins, as on most servers) and file parts. */
export interface EditForm {
  readonly fields: Readonly<Record<string, string>>;
  readonly files: readonly FormFile[];
}

async function describeFile(field: string, file: File): Promise<FormFile> {
  const bytes = Buffer.from(await file.arrayBuffer());
  let format: string | undefined;
  let widthPx = 0;
  let heightPx = 0;
  let hasAlpha = false;
  try {
    const metadata = await sharp(bytes).metadata();
    ({ format } = metadata);
    widthPx = metadata.width;
    heightPx = metadata.height;
    hasAlpha = metadata.hasAlpha;
  } catch {
    // Not an image: format stays undefined and the check refuses it.
  }
  return {
    field,
    filename: file.name,
    contentType: file.type,
    sizeBytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    format,
    widthPx,
    heightPx,
    hasAlpha,
  };
}

/**
 * Parses a multipart/form-data body with the platform's own parser (undici's, behind
 * `Request.formData()`), and reads each file's format, size and dimensions from its bytes, so
 * the handler can decide synchronously. Undefined when the body is not multipart.
 */
export async function parseEditForm(body: Buffer, contentType: string | undefined): Promise<EditForm | undefined> {
  if (contentType?.toLowerCase().startsWith('multipart/form-data') !== true) return undefined;
  let form: FormData;
  try {
    // undici marks formData() deprecated for servers because it buffers the whole body; the body
    // is already buffered (capped by Azure's own limits) and no parser dependency is needed.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    form = await new Request('http://simulator.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  const pending: Promise<FormFile>[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else pending.push(describeFile(name, value));
  }
  return { fields, files: await Promise.all(pending) };
}
