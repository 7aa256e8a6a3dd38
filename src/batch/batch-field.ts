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

/** The image key or job id a field of the batch's hashes and sets stands for (see toBatchField). */
export function fromBatchField(batchId: string, field: string): string {
  return field.startsWith(':') ? field.slice(1) : `${batchId}/${field}`;
}
