/**
 * How image keys and job ids are written inside a batch's own hashes and sets: without the
 * `<batchId>/` every one of them starts with, since the key already names the batch. With
 * thousands of entries per batch, the repeated id was a fifth of the registry's Redis per image.
 * An id that does not start with it (a job added by another BullMQ client under another id) is
 * kept whole behind a `:`, which no BullMQ job id and no image key contains.
 */
export function toBatchField(batchId: string, id: string): string {
  const prefix = `${batchId}/`;
  return id.startsWith(prefix) ? id.slice(prefix.length) : `:${id}`;
}

/** The end of a job id: the variants it covers, `v3` or `v0-3` (see imageJobId). */
const JOB_SPAN = /^v\d+(?:-\d+)?$/;

/**
 * A field written before fields lost their batch id: the whole image key
 * (`<batch>/<request>-<n>`) or job id (`<batch>/<request>/v<n>`). Request and batch ids hold no
 * `/`, so a field of today has at most one (`<request>/v<n>`, a job) and an old job field two.
 * An old image field has one too; it is told apart by not ending in a job span. Only an old
 * image of a request named like a span (`v1-2`) would be misread.
 */
function isWholeKey(batchId: string, field: string): boolean {
  const parts = field.split('/');
  if (parts.length >= 3) return true;
  return parts.length === 2 && parts[0] === batchId && !JOB_SPAN.test(parts[1] ?? '');
}

/**
 * The image key or job id a field of the batch's hashes and sets stands for (see toBatchField).
 * Fields of a batch written by an imgbatch before this layout (whole keys) are read as they
 * are, so its status, results and problems still read right (docs/operations.md, "Upgrading").
 */
export function fromBatchField(batchId: string, field: string): string {
  if (field.startsWith(':')) return field.slice(1);
  return isWholeKey(batchId, field) ? field : `${batchId}/${field}`;
}
