import type { ArgsDef } from 'citty';
import type { BatchCallback } from '../batch/batch-registry.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { checkCallbackUrl, type CallbackPolicy } from '../webhooks/check-callback-url.js';

/** `--callback <url>` and `--callback-per-image`, shared by enqueue and run. */
export const callbackArgs = {
  callback: {
    type: 'string',
    description: "URL the batch's webhook events are POSTed to when it ends (https, a host on the config's webhooks.allowedHosts; signed with IMGBATCH_WEBHOOK_SECRET; see docs/webhooks.md)",
  },
  'callback-per-image': { type: 'boolean', description: 'With --callback: also send an image.finished event for every image', default: false },
} as const satisfies ArgsDef;

/** The batch's callback from the flags, checked against the allow-list; undefined without --callback. */
export function parseCallback(args: { readonly callback?: string | undefined; readonly 'callback-per-image'?: boolean }, policy: CallbackPolicy): BatchCallback | undefined {
  if (args.callback === undefined) {
    if (args['callback-per-image'] === true) throw new ValidationError([{ field: '--callback-per-image', reason: 'needs --callback <url>' }]);
    return undefined;
  }
  const problem = checkCallbackUrl(args.callback, policy);
  if (problem !== undefined) throw new ValidationError([{ field: '--callback', reason: problem }]);
  return { url: args.callback, perImage: args['callback-per-image'] === true };
}
