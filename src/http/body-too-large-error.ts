import { ImgbatchError } from '../errors/imgbatch-error.js';

/** A request body over the server's limit; the HTTP layer answers 413. */
export class BodyTooLargeError extends ImgbatchError {
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super('VALIDATION', `request body is over the limit of ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
    this.limitBytes = limitBytes;
  }
}
