import { z } from 'zod';
import { safeIdSchema } from './image-request.js';

/**
 * Enough of a job's data to name its images, however well-formed the rest is: a job that fails
 * validation, or one given up on, still gets an outcome for each of its images.
 */
export const imageJobIdentitySchema = z.object({
  batchId: safeIdSchema,
  requestId: safeIdSchema,
  variants: z.array(z.number().int().min(0)).min(1),
});
