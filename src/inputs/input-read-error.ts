import { ImgbatchError } from '../errors/imgbatch-error.js';

/**
 * An input image could not be read. The message completes a sentence about the input
 * ("\"photos/a.png\" does not exist"); `isTransient` says whether reading it again later may work
 * (a network error, a store outage) rather than never (missing, refused, too large).
 */
export class InputReadError extends ImgbatchError {
  readonly isTransient: boolean;

  constructor(message: string, options: { isTransient: boolean; cause?: unknown }) {
    super(options.isTransient ? 'TRANSIENT' : 'VALIDATION', message, { cause: options.cause });
    this.name = 'InputReadError';
    this.isTransient = options.isTransient;
  }
}
