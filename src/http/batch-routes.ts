import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { BatchCallback } from '../batch/batch-registry.js';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { checkCallbackUrl, type CallbackPolicy } from '../webhooks/check-callback-url.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { safeIdSchema } from '../job/image-request.js';
import { jobPrioritySchema } from '../job/job-priority.js';
import type { BatchEnqueueResult } from '../batch/enqueue-into-batch.js';
import { componentRef, enqueueBodySchema, STATUS_PROBLEMS_LIMIT } from './api-schemas.js';
import { admitEnqueue, type EnqueueAdmission } from './admit-enqueue.js';
import { principalOf } from './api-principal.js';
import { describeRejected, flatIssues } from './describe-rejected.js';
import { BodyTooLargeError } from './body-too-large-error.js';
import { limitBodyStream } from './limit-body-stream.js';
import { routeSchemaOf, streamedBodySchema, validatedBy } from './zod-validator-compiler.js';


const maxCostUsdSchema = z.number({ error: 'must be an amount in USD, 0 or more' }).min(0, 'must be an amount in USD, 0 or more');
const csvQuerySchema = z.strictObject({
  batchId: z.string().optional().describe('Batch id for a CSV body (a JSON body carries its own); default a new id'),
  model: z.string().min(1).optional().describe('Model for CSV rows whose model cell is empty'),
  maxCostUsd: z.coerce
    .number({ error: 'must be an amount in USD, 0 or more' })
    .pipe(maxCostUsdSchema)
    .optional()
    .describe("Budget for a CSV body's batch, USD (a JSON body carries its own)"),
  redoChanged: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .optional()
    .describe('For a CSV body: make changed rows again, keeping their previous images (a JSON body carries its own); default false'),
  priority: jobPrioritySchema.optional().describe("Priority of a CSV body's jobs: high, normal or bulk (a JSON body carries its own); default the batch's (normal for a new batch)"),
  callbackUrl: z.string().min(1).max(2048).optional().describe("Where a CSV body's batch sends its webhook events (a JSON body carries `callback`)"),
  callbackPerImage: z
    .enum(['true', 'false'], 'must be true or false')
    .transform((text) => text === 'true')
    .optional()
    .describe('With callbackUrl: also send image.finished for every image; default false'),
});
const batchParamsSchema = z.strictObject({ batchId: safeIdSchema });
const resultsQuerySchema = z.strictObject({
  // A cursor is a key in base64url: a batch id and an image name (at most 128 + 160 characters).
  cursor: z.string().min(1).max(1024, 'must be at most 1024 characters').optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 1000' })
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000')
    .optional()
    .describe('Records per page, 1–1000 (default 100)'),
});

function isCsv(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'text/csv';
}

const unauthorized = componentRef('Error', 'Missing or wrong bearer token');
const forbidden = componentRef('Error', "The token lacks the route's scope (`scope_missing`), or the batch is outside its prefix (`batch_outside_prefix`) or another client's (`batch_of_another_client`)");
const rateLimited = componentRef('Error', 'Too many failed authentications from this address; see Retry-After');
const notFound = componentRef('Error', 'No such batch');
const invalid = (description: string): Record<string, unknown> => componentRef('ValidationErrorBody', description);

export interface BatchRoutesOptions {
  readonly client: ImgbatchClient;
  /** Hosts callback URLs may name (the config's webhooks); a batch naming another is refused with 400. */
  readonly callbackPolicy: CallbackPolicy;
  /** Largest enqueue body (JSON or CSV), bytes. */
  readonly bodyLimitBytes: number;
}

/** `/v1/batches`: enqueue (JSON or CSV), status, results, cancel. Validation and errors are the server's. */
export function registerBatchRoutes(app: FastifyInstance, options: BatchRoutesOptions): void {
  const { client } = options;

  /** The batch's callback, refused with a 400 naming `field` when its host is not on the allow-list; undefined when none was given. */
  function checkedCallback(url: string | undefined, perImage: boolean | undefined, field: string): BatchCallback | undefined {
    if (url === undefined) {
      if (perImage === true) throw new ValidationError([{ field: 'callbackPerImage', reason: 'needs callbackUrl' }]);
      return undefined;
    }
    const problem = checkCallbackUrl(url, options.callbackPolicy);
    if (problem !== undefined) throw new ValidationError([{ field, reason: problem }]);
    return { url, perImage: perImage ?? false };
  }

  async function refuse(reply: FastifyReply, admission: Extract<EnqueueAdmission, { kind: 'refused' }>): Promise<FastifyReply> {
    if (admission.retryAfterSeconds !== undefined) void reply.header('retry-after', String(admission.retryAfterSeconds));
    return reply.status(admission.status).send({ error: admission.code, message: admission.message });
  }

  async function existingBatch(batchId: string, reply: FastifyReply): Promise<boolean> {
    const summary = await client.status(batchId);
    if (summary.createdAt !== undefined) return true;
    await reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
    return false;
  }

  // A CSV body stays a stream: rows are validated and enqueued as they arrive. Only this
  // route parses text/csv; elsewhere a CSV body is refused (415) unread.
  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser('text/csv', (request, payload, parsed) => {
      const declaredBytes = Number(request.headers['content-length'] ?? NaN);
      if (declaredBytes > options.bodyLimitBytes) parsed(new BodyTooLargeError(options.bodyLimitBytes), undefined);
      else parsed(null, payload);
    });

    scope.post<{ Querystring: z.output<typeof csvQuerySchema>; Body: z.output<typeof enqueueBodySchema> | Readable }>(
      '/v1/batches',
      {
        bodyLimit: options.bodyLimitBytes,
        schema: {
          summary: 'Enqueue a batch of requests (JSON) or a CSV file (text/csv, same columns as the CLI)',
          querystring: routeSchemaOf(csvQuerySchema),
          body: {
            content: {
              'application/json': { schema: validatedBy(componentRef('EnqueueBody'), enqueueBodySchema) },
              'text/csv': { schema: streamedBodySchema({ type: 'string', description: 'Header row, then one request per row: id, prompt, n, model, size, quality, style, ...' }) },
            },
          },
          response: {
            202: componentRef('EnqueueResult', 'Jobs added (or already there); refused requests are listed'),
            400: invalid('No request is valid, or the body is malformed; issues name row/index, field and reason'),
            401: unauthorized,
            403: forbidden,
            413: componentRef('Error', 'Body over the size limit'),
            415: componentRef('Error', 'Neither application/json nor text/csv'),
            429: componentRef('Error', "Too many failed authentications from this address, or the client's daily cap is reached (`daily_cap_reached`); see Retry-After"),
          },
        },
      },
      async (request, reply) => {
        let result: BatchEnqueueResult;
        const principal = principalOf(request);
        if (isCsv(request.headers['content-type'])) {
          const { query } = request;
          const callback = checkedCallback(query.callbackUrl, query.callbackPerImage, 'callbackUrl');
          const admission = await admitEnqueue(principal, query.batchId, client.clientLedger);
          if (admission.kind === 'refused') return refuse(reply, admission);
          const body = limitBodyStream(request.body as Readable, options.bodyLimitBytes);
          result = await client.enqueueCsv(body, {
            ...(admission.batchId !== undefined && { batchId: admission.batchId }),
            ...(query.model !== undefined && { defaultModel: query.model }),
            ...(query.maxCostUsd !== undefined && { maxCostUsd: query.maxCostUsd }),
            ...(query.redoChanged !== undefined && { redoChanged: query.redoChanged }),
            ...(query.priority !== undefined && { priority: query.priority }),
            ...(callback !== undefined && { callback }),
          });
        } else {
          // The query's settings are for CSV bodies; taking them silently with JSON would drop them.
          const queryFields = Object.keys(request.query);
          if (queryFields.length > 0) {
            throw new ValidationError(queryFields.map((field) => ({ field, reason: 'is a query parameter for text/csv bodies; a JSON body carries batchId and maxCostUsd itself' })));
          }
          // Without a Content-Type fastify reads no body, and so no schema applies.
          const body = request.body as z.output<typeof enqueueBodySchema> | undefined;
          if (body === undefined) throw new ValidationError([{ field: '(body)', reason: 'is required: a JSON object with `requests` (application/json), or a CSV file (text/csv)' }]);
          const callback = checkedCallback(body.callback?.url, body.callback?.perImage, 'callback.url');
          const admission = await admitEnqueue(principal, body.batchId, client.clientLedger);
          if (admission.kind === 'refused') return refuse(reply, admission);
          result = await client.enqueue(body.requests, {
            ...(admission.batchId !== undefined && { batchId: admission.batchId }),
            ...(body.maxCostUsd !== undefined && { maxCostUsd: body.maxCostUsd }),
            ...(body.redoChanged !== undefined && { redoChanged: body.redoChanged }),
            ...(body.priority !== undefined && { priority: body.priority }),
            ...(callback !== undefined && { callback }),
          });
        }
        if (result.accepted === 0) {
          const issues = flatIssues(result.rejected);
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
      },
    );
    done();
  });

  const batchParams = routeSchemaOf(batchParamsSchema);

  app.get<{ Params: z.output<typeof batchParamsSchema> }>(
    '/v1/batches/:batchId',
    {
      schema: {
        summary:
          'Counts by outcome, images pending, API calls, cost so far against the budget, the spend of the client that made it, its webhook deliveries, and the images not made with their reason codes (capped)',
        params: batchParams,
        security: [{ bearer: [] }, { session: [] }],
        response: { 200: componentRef('BatchStatus', 'The batch'), 400: invalid('Not a valid batch id'), 401: unauthorized, 403: forbidden, 404: notFound, 429: rateLimited },
      },
    },
    async (request, reply) => {
      const { batchId } = request.params;
      const summary = await client.status(batchId);
      if (summary.createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
      const [spend, webhooks, problems] = await Promise.all([
        summary.client === undefined ? undefined : client.clientLedger.spendOf(summary.client),
        client.webhookDeliveries(batchId),
        client.problems(batchId, { limit: STATUS_PROBLEMS_LIMIT }),
      ]);
      // The cap is known only for the asker's own batches: other clients' settings are not its business.
      const principal = principalOf(request);
      const cap = principal?.name === summary.client ? principal?.dailyCapUsd : undefined;
      return { ...summary, ...(spend !== undefined && { clientSpend: { ...spend, ...(cap !== undefined && { dailyCapUsd: cap }) } }), webhooks, problems };
    },
  );

  app.get<{ Params: z.output<typeof batchParamsSchema>; Querystring: z.output<typeof resultsQuerySchema> }>(
    '/v1/batches/:batchId/results',
    {
      schema: {
        summary: 'Records of stored and filtered images, by key, a page at a time',
        params: batchParams,
        querystring: routeSchemaOf(resultsQuerySchema),
        security: [{ bearer: [] }, { session: [] }],
        response: { 200: componentRef('ResultsPage', 'One page'), 400: invalid('Not a valid batch id, cursor or limit'), 401: unauthorized, 403: forbidden, 404: notFound, 429: rateLimited },
      },
    },
    async (request, reply) => {
      const { batchId } = request.params;
      const { cursor, limit } = request.query;
      if (!(await existingBatch(batchId, reply))) return reply;
      return client.resultsPage(batchId, { ...(cursor !== undefined && { cursor }), ...(limit !== undefined && { limit }) });
    },
  );

  app.delete<{ Params: z.output<typeof batchParamsSchema> }>(
    '/v1/batches/:batchId',
    {
      schema: {
        summary: 'Cancel: remove the jobs no worker has started; their images end `cancelled`, jobs in flight finish',
        params: batchParams,
        response: { 200: componentRef('CancelResult', 'What was cancelled'), 400: invalid('Not a valid batch id'), 401: unauthorized, 403: forbidden, 404: notFound, 429: rateLimited },
      },
    },
    async (request, reply) => {
      const { batchId } = request.params;
      const result = await client.cancel(batchId);
      const summary = await client.status(batchId);
      // Jobs of other BullMQ clients form a batch before a worker has seen them: cancelling them makes it known.
      if (summary.createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
      return { ...result, summary };
    },
  );
}
