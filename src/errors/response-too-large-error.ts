import { ImgbatchError } from './imgbatch-error.js';

/**
 * An answer's body was over the cap and was not read whole (a runaway or hostile endpoint would
 * otherwise fill the worker's memory). The service answered, so the call may have been billed.
 */
export class ResponseTooLargeError extends ImgbatchError {
  readonly maxBytes: number;

  constructor(maxBytes: number, seenBytes: number) {
    super('TRANSIENT', `the response body is over the limit of ${maxBytes} bytes (${seenBytes} bytes seen); not read further`);
    this.name = 'ResponseTooLargeError';
    this.maxBytes = maxBytes;
  }
}
