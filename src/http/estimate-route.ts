import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeploymentQuota } from '../cost/batch-estimate.js';
import { DEFAULT_PRICE_TABLE } from '../cost/default-price-table.js';
import { estimateRequests } from '../cost/estimate-requests.js';
import type { PriceTable } from '../cost/price-table.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { readCsvRequests } from '../ingest/read-csv-requests.js';
import type { InputReader } from '../inputs/input-reader.js';
import { resolveEditInputs } from '../inputs/resolve-edit-inputs.js';
import type { RequestInput } from '../job/prepare-jobs.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { componentRef, estimateBodySchema } from './api-schemas.js';
import { describeRejected, flatIssues } from './describe-rejected.js';
import { BodyTooLargeError } from './body-too-large-error.js';
import { limitBodyStream } from './limit-body-stream.js';
import { routeSchemaOf, streamedBodySchema, validatedBy } from './zod-validator-compiler.js';

/** What `POST /v1/estimate` prices requests with: the same settings `imgbatch estimate` reads from the config. */
export interface EstimateSettings {
  /** Prices of the estimate; default DEFAULT_PRICE_TABLE. */
  readonly prices?: PriceTable;
  /** Whose quotas the duration assumes; default none (durations are null). */
  readonly deployments?: readonly DeploymentQuota[];
  /** Where the quotas came from, sent as `quotasFrom`; default `none`. */
  readonly quotasFrom?: 'config' | 'built-in simulator' | 'none';
  /** The models requests are checked against; default the built-in ones. */
  readonly models?: ModelCatalogue;
  /** Images per call for models that take n > 1; default 1. */
  readonly imagesPerCall?: number;
  /** Reads input images of edits, to count their input tokens (nothing is copied); default none: edits are refused with the reason. */
  readonly inputReader?: InputReader;
}

const estimateQuerySchema = z.strictObject({
  model: z.string().min(1).optional().describe('Model for CSV rows whose model cell is empty'),
});

function isCsv(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'text/csv';
}

/**
 * `POST /v1/estimate`: what a batch would cost and take, from the same requests (JSON or CSV)
 * POST /v1/batches takes, checked as an enqueue checks them; nothing is enqueued or paid.
 * The numbers are `imgbatch estimate`'s: both go through estimateRequests.
 */
export function registerEstimateRoute(app: FastifyInstance, options: { readonly bodyLimitBytes: number; readonly settings: EstimateSettings }): void {
  const { settings } = options;
  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser('text/csv', (request, payload, parsed) => {
      const declaredBytes = Number(request.headers['content-length'] ?? NaN);
      if (declaredBytes > options.bodyLimitBytes) parsed(new BodyTooLargeError(options.bodyLimitBytes), undefined);
      else parsed(null, payload);
    });

    scope.post<{ Querystring: z.output<typeof estimateQuerySchema>; Body: z.output<typeof estimateBodySchema> | Readable }>(
      '/v1/estimate',
      {
        bodyLimit: options.bodyLimitBytes,
        schema: {
          summary: 'Expected cost and duration of a batch, by model, as `imgbatch estimate` gives them; nothing is enqueued',
          querystring: routeSchemaOf(estimateQuerySchema),
          body: {
            content: {
              'application/json': { schema: validatedBy(componentRef('EstimateBody'), estimateBodySchema) },
              'text/csv': { schema: streamedBodySchema({ type: 'string', description: 'The CSV POST /v1/batches takes' }) },
            },
          },
          response: {
            200: componentRef('EstimateResult', 'The estimate of the valid requests; refused ones are listed'),
            400: componentRef('ValidationErrorBody', 'No request is valid, or the body is malformed; issues name row/index, field and reason'),
            401: componentRef('Error', 'Missing or wrong bearer token'),
            403: componentRef('Error', 'The token lacks the enqueue scope'),
            413: componentRef('Error', 'Body over the size limit'),
            415: componentRef('Error', 'Neither application/json nor text/csv'),
            429: componentRef('Error', 'Too many failed authentications from this address; see Retry-After'),
          },
        },
      },
      async (request, reply) => {
        let inputs: AsyncIterable<RequestInput> | Iterable<RequestInput>;
        if (isCsv(request.headers['content-type'])) {
          const { model } = request.query;
          inputs = readCsvRequests(limitBodyStream(request.body as Readable, options.bodyLimitBytes), model === undefined ? {} : { defaultModel: model });
        } else {
          if (request.query.model !== undefined) throw new ValidationError([{ field: 'model', reason: 'is a query parameter for text/csv bodies; JSON requests name their model' }]);
          const body = request.body as z.output<typeof estimateBodySchema> | undefined;
          if (body === undefined) throw new ValidationError([{ field: '(body)', reason: 'is required: a JSON object with `requests` (application/json), or a CSV file (text/csv)' }]);
          inputs = body.requests.map((item, index) => ({ request: item, location: `requests[${index}]`, position: { index }, defaultId: `req-${index}` }));
        }
        // Job ids need a batch id; nothing is stored under it.
        const batchId = 'estimate';
        const reader = settings.inputReader;
        const checked = reader === undefined ? inputs : resolveEditInputs(inputs, { batchId, reader, models: settings.models });
        const { check, estimate } = await estimateRequests(checked, {
          batchId,
          prices: settings.prices ?? DEFAULT_PRICE_TABLE,
          deployments: settings.deployments ?? [],
          ...(settings.models !== undefined && { models: settings.models }),
          ...(settings.imagesPerCall !== undefined && { imagesPerCall: settings.imagesPerCall }),
        });
        if (check.accepted === 0) {
          const issues = flatIssues(check.rejected);
          return reply.status(400).send({
            error: 'validation',
            message: issues.length === 0 ? 'the body holds no request' : 'no request in the body is valid',
            issues: issues.length === 0 ? [{ field: '(body)', reason: 'holds no request' }] : issues,
          });
        }
        return { ...check, rejected: describeRejected(check.rejected), estimate, quotasFrom: settings.quotasFrom ?? 'none' };
      },
    );
    done();
  });
}
