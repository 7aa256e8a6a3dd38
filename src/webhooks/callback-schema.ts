import { z } from 'zod';

/**
 * A batch's callback as clients write it (HTTP body, schedule file): `{ url, perImage? }`. The
 * URL's shape only; whether its host may receive events is the allow-list's to say
 * (checkCallbackUrl), checked by whoever knows the config.
 */
export const callbackSchema = z.strictObject({
  url: z.string({ error: 'is required: the https URL events are POSTed to' }).min(1, 'must not be empty').max(2048, 'must be at most 2048 characters').describe('https URL on the allow-list (`webhooks.allowedHosts`)'),
  perImage: z.boolean({ error: 'must be true or false' }).default(false).describe('Also send `image.finished` for every image, not only `batch.ended`; default false'),
});
