import { Readable } from 'node:stream';
import { BodyTooLargeError } from './body-too-large-error.js';

/**
 * Passes a streamed body through and fails it with BodyTooLargeError past `limitBytes`, for
 * bodies read as a stream (CSV) and so outside the framework's own body limit: a body sent
 * without Content-Length (chunked) is only known to be too large once that much arrived.
 * Lazy: nothing is read until the consumer reads, so the error always has someone to go to.
 */
export function limitBodyStream(source: Readable, limitBytes: number): Readable {
  async function* limited(): AsyncGenerator<Buffer> {
    let seenBytes = 0;
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      seenBytes += bytes.length;
      if (seenBytes > limitBytes) throw new BodyTooLargeError(limitBytes);
      yield bytes;
    }
  }
  return Readable.from(limited(), { objectMode: false });
}
