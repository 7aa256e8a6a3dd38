import { z } from 'zod';
import { IMAGE_OUTCOMES } from '../batch/image-outcome.js';
import { imageRequestSchema } from '../job/image-request.js';
import { buildJobContract } from '../job/job-contract.js';
import { imageRecordSchema } from '../storage/image-record.js';

/** A JSON Schema from zod, without the dialect line: OpenAPI 3.1 sets the dialect once. */
function componentSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io });
  return rest;
}

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
const errorResponse = (description: string): Record<string, unknown> => ({ description, content: json(ref('Error')) });
const batchIdParameter = { name: 'batchId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 } };

/**
 * The OpenAPI 3.1 document of the HTTP API, built by hand around the JSON Schemas generated
 * from the zod schemas the server validates with (requests, records, the job contract), so
 * the document cannot describe fields the server does not accept.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const { $schema: _dialect, $id: _id, ...imageJob } = buildJobContract();
  const counts = { type: 'object', properties: Object.fromEntries(IMAGE_OUTCOMES.map((o) => [o, { type: 'integer', minimum: 0 }])), required: [...IMAGE_OUTCOMES] };
  return {
    openapi: '3.1.0',
    info: {
      title: 'imgbatch HTTP API',
      version: '1',
      description:
        'Enqueue image prompts as batches, follow them, page through their results, cancel what has not started. Every route but /healthz needs `Authorization: Bearer <IMGBATCH_API_TOKEN>`.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/batches': {
        post: {
          summary: 'Enqueue a batch of requests (JSON) or a CSV file (text/csv, same columns as the CLI)',
          parameters: [
            { name: 'batchId', in: 'query', required: false, description: 'Batch id for a CSV body (a JSON body carries its own); default a new id', schema: { type: 'string' } },
            { name: 'model', in: 'query', required: false, description: 'Model for CSV rows whose model cell is empty', schema: { type: 'string' } },
            { name: 'maxCostUsd', in: 'query', required: false, description: 'Budget for a CSV body\'s batch, USD (a JSON body carries its own)', schema: { type: 'number', minimum: 0 } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('EnqueueBody') },
              'text/csv': { schema: { type: 'string', description: 'Header row, then one request per row: id, prompt, n, model, size, quality, style, ...' } },
            },
          },
          responses: {
            '202': { description: 'Jobs added (or already there); refused requests are listed', content: json(ref('EnqueueResult')) },
            '400': { description: 'No request is valid, or the body is malformed; issues name row/index, field and reason', content: json(ref('ValidationErrorBody')) },
            '401': errorResponse('Missing or wrong bearer token'),
            '413': errorResponse('Body over the size limit'),
            '415': errorResponse('Neither application/json nor text/csv'),
          },
        },
      },
      '/v1/batches/{batchId}': {
        parameters: [batchIdParameter],
        get: {
          summary: 'Counts by outcome, images pending, API calls, cost so far against the budget',
          responses: { '200': { description: 'The batch', content: json(ref('BatchSummary')) }, '401': errorResponse('Missing or wrong bearer token'), '404': errorResponse('No such batch') },
        },
        delete: {
          summary: 'Cancel: remove the jobs no worker has started; their images end `cancelled`, jobs in flight finish',
          responses: { '200': { description: 'What was cancelled', content: json(ref('CancelResult')) }, '401': errorResponse('Missing or wrong bearer token'), '404': errorResponse('No such batch') },
        },
      },
      '/v1/batches/{batchId}/results': {
        parameters: [batchIdParameter],
        get: {
          summary: 'Records of stored and filtered images, by key, a page at a time',
          parameters: [
            { name: 'cursor', in: 'query', required: false, description: '`nextCursor` of the previous page', schema: { type: 'string' } },
            { name: 'limit', in: 'query', required: false, description: 'Records per page, 1–1000 (default 100)', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: { '200': { description: 'One page', content: json(ref('ResultsPage')) }, '401': errorResponse('Missing or wrong bearer token'), '404': errorResponse('No such batch') },
        },
      },
      '/v1/batches/{batchId}/images/{name}': {
        parameters: [
          batchIdParameter,
          { name: 'name', in: 'path', required: true, description: '`<request id>-<variant>`, e.g. `mug-0`', schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*-\\d{1,3}$' } },
        ],
        get: {
          summary: 'The bytes of a stored image, read through the store (folder or private Blob container); the dashboard batch page shows images from here',
          security: [{ bearer: [] }, { session: [] }],
          responses: {
            '200': { description: 'The image', content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) },
            '400': { description: 'Not a valid batch id or image name', content: json(ref('ValidationErrorBody')) },
            '401': errorResponse('Missing or wrong bearer token, and no session'),
            '404': errorResponse('No stored image of that name (filtered, failed, pending, or no such batch)'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness and Redis reachability (no auth)',
          security: [],
          responses: { '200': { description: 'Redis answers', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) }, '503': errorResponse('Redis does not answer') },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics of the whole cluster: calls by deployment and outcome, 429s, filtered images, retries, call durations, queue depth, limiter rate and utilization',
          responses: {
            '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': errorResponse('Missing or wrong bearer token'),
            '503': errorResponse('Redis does not answer'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The value of IMGBATCH_API_TOKEN' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'imgbatch_session',
          description: 'A browser session, set by signing in with the token at /admin/login (form POST); good for GET and HEAD only, never for changes',
        },
      },
      schemas: {
        ImageRequest: componentSchema(imageRequestSchema, 'input'),
        ImageRecord: componentSchema(imageRecordSchema, 'output'),
        ImageJob: imageJob,
        EnqueueBody: {
          type: 'object',
          properties: {
            batchId: { type: 'string', description: 'Default: a new id. The same id and requests again add nothing new.' },
            maxCostUsd: {
              type: 'number',
              minimum: 0,
              description: 'Budget for the batch, USD, set before its jobs are added: once spent + in flight would pass it, no new call starts and the rest end `skipped`. Default: the budget the batch has, or none.',
            },
            requests: { type: 'array', items: ref('ImageRequest'), minItems: 1 },
          },
          required: ['requests'],
          additionalProperties: false,
        },
        Issue: {
          type: 'object',
          properties: {
            location: { type: 'string', description: '`row N` (CSV, header is row 1) or `requests[i]` (JSON)' },
            row: { type: 'integer', description: 'CSV row number, when the input was CSV' },
            index: { type: 'integer', description: 'Index in `requests`, when the input was JSON' },
            field: { type: 'string' },
            reason: { type: 'string' },
          },
          required: ['field', 'reason'],
        },
        Rejected: {
          type: 'object',
          properties: { location: { type: 'string' }, row: { type: 'integer' }, index: { type: 'integer' }, issues: { type: 'array', items: ref('Issue') } },
          required: ['location', 'issues'],
        },
        EnqueueResult: {
          type: 'object',
          properties: {
            batchId: { type: 'string' },
            accepted: { type: 'integer', description: 'Requests that passed validation' },
            rejected: { type: 'array', items: ref('Rejected') },
            jobsAdded: { type: 'integer' },
            imagesAdded: { type: 'integer' },
            jobsAlreadyQueued: { type: 'integer', description: 'Jobs the batch held from an earlier enqueue' },
            statusUrl: { type: 'string' },
          },
          required: ['batchId', 'accepted', 'rejected', 'jobsAdded', 'imagesAdded', 'jobsAlreadyQueued', 'statusUrl'],
        },
        BatchSummary: {
          type: 'object',
          properties: {
            batchId: { type: 'string' },
            createdAt: { type: 'integer', description: 'Epoch ms of the first enqueue' },
            images: { type: 'integer' },
            jobs: { type: 'integer' },
            counts: counts,
            pending: { type: 'integer', description: 'Images without an outcome yet' },
            calls: { type: 'integer', description: 'API calls sent for the batch' },
            rateLimitedCalls: { type: 'integer', description: 'Calls answered 429' },
            costUsd: { type: 'number', minimum: 0, description: 'What the batch has cost so far, USD: each image made at its cost from the service\'s `usage`, else the price table' },
            inFlightCostUsd: { type: 'number', minimum: 0, description: 'Expected cost of the calls in flight, USD (reserved against the budget)' },
            maxCostUsd: { type: 'number', minimum: 0, description: 'The batch\'s budget, USD; absent when it has none' },
          },
          required: ['batchId', 'images', 'jobs', 'counts', 'pending', 'calls', 'rateLimitedCalls', 'costUsd', 'inFlightCostUsd'],
        },
        CancelResult: {
          type: 'object',
          properties: { batchId: { type: 'string' }, jobsCancelled: { type: 'integer' }, imagesCancelled: { type: 'integer' }, jobsInFlight: { type: 'integer' }, summary: ref('BatchSummary') },
          required: ['batchId', 'jobsCancelled', 'imagesCancelled', 'jobsInFlight', 'summary'],
        },
        ResultsPage: {
          type: 'object',
          properties: { items: { type: 'array', items: ref('ImageRecord') }, nextCursor: { type: 'string', description: 'Absent on the last page' } },
          required: ['items'],
        },
        Error: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } }, required: ['error', 'message'] },
        ValidationErrorBody: {
          type: 'object',
          properties: { error: { const: 'validation' }, message: { type: 'string' }, issues: { type: 'array', items: ref('Issue') } },
          required: ['error', 'message', 'issues'],
        },
      },
    },
  };
}
