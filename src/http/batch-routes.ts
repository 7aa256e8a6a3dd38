import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { safeIdSchema } from '../job/image-request.js';
import type { RejectedRequest } from '../job/prepare-jobs.js';
import type { EnqueueResult } from '../queue/producer.js';
import { limitBodyStream } from './limit-body-stream.js';
import { parseOrThrow } from './parse-or-throw.js';

/** How an HTTP client finds the input an issue is about: a CSV row number or a JSON array index. */
function whereFields(location: string | undefined): { row?: number; index?: number } {
  const row = /^row (\d+)$/.exec(location ?? '')?.[1];
  if (row !== undefined) return { row: Number(row) };
  const index = /^requests\[(\d+)\]$/.exec(location ?? '')?.[1];
  return index === undefined ? {} : { index: Number(index) };
}

function describeRejected(rejected: readonly RejectedRequest[]): unknown[] {
  return rejected.map((r) => ({ location: r.location, ...whereFields(r.location), issues: r.issues.map(({ field, reason }) => ({ field, reason })) }));
}

const maxCostUsdSchema = z.number({ error: 'must be an amount in USD, 0 or more' }).min(0, 'must be an amount in USD, 0 or more');
const jsonBodySchema = z.strictObject({
  batchId: z.string().optional(),
  maxCostUsd: maxCostUsdSchema.optional(),
  requests: z.array(z.unknown(), { error: 'is required: an array of requests' }).min(1, 'must hold at least one request'),
});
const csvQuerySchema = z.strictObject({
  batchId: z.string().optional(),
  model: z.string().min(1).optional(),
  maxCostUsd: z.coerce.number({ error: 'must be an amount in USD, 0 or more' }).pipe(maxCostUsdSchema).optional(),
});
const batchParamsSchema = z.strictObject({ batchId: safeIdSchema });
const resultsQuerySchema = z.strictObject({
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number({ error: 'must be a whole number from 1 to 1000' }).int('must be a whole number from 1 to 1000').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
});

function isCsv(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'text/csv';
}

export interface BatchRoutesOptions {
  readonly client: ImgbatchClient;
  readonly bodyLimitBytes: number;
}

/** `/v1/batches`: enqueue (JSON or CSV), status, results, cancel. Validation and errors are the server's. */
export function registerBatchRoutes(app: FastifyInstance, options: BatchRoutesOptions): void {
  const { client } = options;

  async function existingBatch(batchId: string, reply: FastifyReply): Promise<boolean> {
    const summary = await client.status(batchId);
    if (summary.createdAt !== undefined) return true;
    await reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
    return false;
  }

  app.post('/v1/batches', async (request, reply) => {
    let result: EnqueueResult;
    if (isCsv(request.headers['content-type'])) {
      const query = parseOrThrow(csvQuerySchema, request.query);
      const body = limitBodyStream(request.body as Readable, options.bodyLimitBytes);
      result = await client.enqueueCsv(body, {
        ...(query.batchId !== undefined && { batchId: query.batchId }),
        ...(query.model !== undefined && { defaultModel: query.model }),
        ...(query.maxCostUsd !== undefined && { maxCostUsd: query.maxCostUsd }),
      });
    } else {
      const body = parseOrThrow(jsonBodySchema, request.body);
      result = await client.enqueue(body.requests, {
        ...(body.batchId !== undefined && { batchId: body.batchId }),
        ...(body.maxCostUsd !== undefined && { maxCostUsd: body.maxCostUsd }),
      });
    }
    if (result.accepted === 0) {
      const issues = result.rejected.flatMap((r) => r.issues.map((issue) => ({ location: issue.location ?? r.location, ...whereFields(issue.location ?? r.location), field: issue.field, reason: issue.reason })));
      return reply.status(400).send({
        error: 'validation',
        message: issues.length === 0 ? 'the body holds no request' : 'no request in the body is valid',
        issues: issues.length === 0 ? [{ field: '(body)', reason: 'holds no request' }] : issues,
      });
    }
    const statusUrl = `/v1/batches/${result.batchId}`;
    return reply
      .status(202)
      .header('location', statusUrl)
      .send({ ...result, rejected: describeRejected(result.rejected), statusUrl });
  });

  app.get('/v1/batches/:batchId', async (request, reply) => {
    const { batchId } = parseOrThrow(batchParamsSchema, request.params);
    const summary = await client.status(batchId);
    if (summary.createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
    return summary;
  });

  app.get('/v1/batches/:batchId/results', async (request, reply) => {
    const { batchId } = parseOrThrow(batchParamsSchema, request.params);
    const query = parseOrThrow(resultsQuerySchema, request.query);
    if (!(await existingBatch(batchId, reply))) return reply;
    return client.resultsPage(batchId, { ...(query.cursor !== undefined && { cursor: query.cursor }), ...(query.limit !== undefined && { limit: query.limit }) });
  });

  app.delete('/v1/batches/:batchId', async (request, reply) => {
    const { batchId } = parseOrThrow(batchParamsSchema, request.params);
    const result = await client.cancel(batchId);
    const summary = await client.status(batchId);
    // Jobs of other BullMQ clients form a batch before a worker has seen them: cancelling them makes it known.
    if (summary.createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
    return { ...result, summary };
  });
}
