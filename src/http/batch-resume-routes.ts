import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { safeIdSchema } from '../job/image-request.js';
import { batchSummarySchema, componentRef } from './api-schemas.js';
import { resumeBodySchema, resumeResultSchema } from './resume-schemas.js';
import { routeSchemaOf, validatedBy, type JsonSchema } from './zod-validator-compiler.js';

export interface BatchResumeRoutesOptions {
  /** Resumes batches; made with a `store`, which says what is done. */
  readonly client: ImgbatchClient;
}

const paramsSchema = z.strictObject({ batchId: safeIdSchema });
const resumeResponseSchema = resumeResultSchema.extend({ batchId: z.string(), summary: batchSummarySchema.describe('The batch after the resume') });

/** A response's JSON Schema made from a zod schema, with its description (documents; responses are not validated). */
function responseOf(schema: z.ZodType, description: string): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'output' });
  return { ...json, description };
}

const ROUTES = [
  {
    path: '/v1/batches/:batchId/resume',
    scope: 'all',
    summary:
      'Resume, as `imgbatch resume`: images missing from the store are queued again, failed jobs get fresh attempts, cancelled and budget-skipped images are queued again; stored images are never made again. Workers do the work.',
  },
  {
    path: '/v1/batches/:batchId/retry-failed',
    scope: 'failed',
    summary: 'Retry the failed: only the failed jobs get fresh attempts (images the service rejected as invalid stay rejected); nothing else is queued again. Workers do the work.',
  },
] as const;

/** `POST /v1/batches/:batchId/resume` and `.../retry-failed`: the CLI's resume over HTTP, through the library client. */
export function registerBatchResumeRoutes(app: FastifyInstance, options: BatchResumeRoutesOptions): void {
  const { client } = options;
  for (const route of ROUTES) {
    app.post<{ Params: z.output<typeof paramsSchema>; Body: z.output<typeof resumeBodySchema> | null }>(
      route.path,
      {
        schema: {
          summary: route.summary,
          params: routeSchemaOf(paramsSchema),
          // Documented as the optional object it is; validated to also take null, which is how
          // fastify hands over a request sent with no body at all.
          body: validatedBy(routeSchemaOf(resumeBodySchema), resumeBodySchema.nullable()),
          response: {
            200: responseOf(resumeResponseSchema, 'What was queued again, and the batch after it'),
            400: componentRef('ValidationErrorBody', 'Not a valid batch id or budget'),
            401: componentRef('Error', 'Missing or wrong bearer token'),
            404: componentRef('Error', 'No such batch'),
            429: componentRef('Error', 'Too many failed authentications from this address; see Retry-After'),
          },
        },
      },
      async (request, reply) => {
        const { batchId } = request.params;
        if ((await client.status(batchId)).createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
        const resumeOptions = request.body?.maxCostUsd === undefined ? {} : { maxCostUsd: request.body.maxCostUsd };
        const result = route.scope === 'all' ? await client.resume(batchId, resumeOptions) : await client.retryFailed(batchId, resumeOptions);
        return { batchId, ...result, summary: await client.status(batchId) };
      },
    );
  }
}
