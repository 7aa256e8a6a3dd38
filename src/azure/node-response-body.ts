import type { Readable } from 'node:stream';

/** The Node stream each Response of the long-call transport was made around (create-image-client.ts). */
const nodeBodies = new WeakMap<Response, Readable>();

/**
 * Remembers the Node stream a Response was made around. The platform's Response wraps it in a
 * web stream, and reading through that costs a promise and a queue step per chunk on top of the
 * stream's own; an images answer is read whole, so its reader takes the Node stream itself
 * ({@link nodeBodyOf}) and the web stream is never pulled.
 */
export function keepNodeBody(response: Response, body: Readable): Response {
  nodeBodies.set(response, body);
  return response;
}

/** The Node stream under `response`, when the long-call transport made it; undefined otherwise (read `response.body`). */
export function nodeBodyOf(response: Response): Readable | undefined {
  return nodeBodies.get(response);
}
