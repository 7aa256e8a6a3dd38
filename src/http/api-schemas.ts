import { z } from 'zod';
import { IMAGE_OUTCOMES, OUTCOME_REASONS } from '../batch/image-outcome.js';
import type { BatchSummary } from '../batch/batch-registry.js';
import type { CancelResult } from '../batch/cancel-batch.js';
import type { ResultsPage } from '../client/imgbatch-client.js';
import { imageRequestSchema } from '../job/image-request.js';
import { buildJobContract } from '../job/job-contract.js';
import { jobPrioritySchema } from '../job/job-priority.js';
import { imageRecordSchema } from '../storage/image-record.js';
import { reenqueueFieldsSchema } from './resume-schemas.js';
import { callbackSchema } from '../webhooks/callback-schema.js';
import type { ClientSpend } from '../batch/client-ledger.js';
import type { BatchEstimate } from '../cost/batch-estimate.js';
import type { ImageProblems } from '../batch/read-image-problems.js';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDelivery } from '../webhooks/webhook-delivery-state.js';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/webhook-event.js';
import type { JsonSchema } from './zod-validator-compiler.js';

/*
 * The shapes the HTTP API takes and sends, as zod schemas. Routes validate with them and the
 * OpenAPI document's `components.schemas` are generated from them (z.toJSONSchema), so the
 * document describes what the server does.
 */

/** How many images that were not made GET /v1/batches/:id lists, at most: a status stays small for a batch of any size. */
export const STATUS_PROBLEMS_LIMIT = 100;

const usd = (description: string): z.ZodNumber => z.number().min(0).describe(description);

/** What POST /v1/batches checks of a JSON body before the handler runs: the envelope. Each request is checked on its own later, so the good ones are enqueued beside the bad. */
export const enqueueBodySchema = z.strictObject({
  batchId: z.string().optional().describe('Default: a new id. The same id and requests again add nothing new.'),
  maxCostUsd: z
    .number({ error: 'must be an amount in USD, 0 or more' })
    .min(0, 'must be an amount in USD, 0 or more')
    .optional()
    .describe(
      'Budget for the batch, USD, set before its jobs are added: once spent + in flight would pass it, no new call starts and the rest end `skipped`. Default: the budget the batch has, or none.',
    ),
  redoChanged: z
    .boolean()
    .optional()
    .describe(
      'Requests the batch already holds with another prompt, model, size, quality, style, format or input are made again, their previous images kept in the store under `<batch>/previous/`. Default false: they are listed in `changed` and keep their images, no call is made.',
    ),
  priority: jobPrioritySchema
    .optional()
    .describe("Who gets the deployments' next slots first: high, normal or bulk; batches of one priority take turns. Default the batch's (normal for a new batch); it becomes the batch's, and jobs the batch already holds keep theirs."),
  callback: callbackSchema
    .optional()
    .describe("Where the batch's webhook events go (https, a host on the server's webhooks.allowedHosts; see docs/webhooks.md). Default: the batch's callback stays as it is (none for a new batch)."),
  requests: z.array(z.unknown(), { error: 'is required: an array of requests' }).min(1, 'must hold at least one request'),
});

/** What POST /v1/estimate checks of a JSON body: the requests, each checked on its own later as an enqueue would. */
export const estimateBodySchema = z.strictObject({
  requests: z.array(z.unknown(), { error: 'is required: an array of requests' }).min(1, 'must hold at least one request'),
});

const documentedEstimateBodySchema = estimateBodySchema.extend({
  requests: z.array(imageRequestSchema).min(1).describe('Requests that are not valid ImageRequests come back in `rejected` (with index, field and reason); the others are estimated.'),
});

/** The body as documented: the same envelope, each request an ImageRequest (a request that is not one is listed in `rejected`, not refused with the batch). */
const documentedEnqueueBodySchema = enqueueBodySchema.extend({
  requests: z
    .array(imageRequestSchema)
    .min(1)
    .describe('Requests that are not valid ImageRequests come back in `rejected` (with index, field and reason); the others are enqueued.'),
});

const issueSchema = z.strictObject({
  location: z.string().optional().describe('`row N` (CSV, header is row 1) or `requests[i]` (JSON)'),
  row: z.number().int().optional().describe('CSV row number, when the input was CSV'),
  index: z.number().int().optional().describe('Index in `requests`, when the input was JSON'),
  field: z.string(),
  reason: z.string(),
});

const rejectedSchema = z.strictObject({
  location: z.string(),
  row: z.number().int().optional(),
  index: z.number().int().optional(),
  issues: z.array(z.strictObject({ field: z.string(), reason: z.string() })),
});

export const enqueueResultSchema = z.strictObject({
  batchId: z.string(),
  accepted: z.number().int().describe('Requests that passed validation'),
  rejected: z.array(rejectedSchema),
  jobsAdded: z.number().int(),
  imagesAdded: z.number().int(),
  jobsAlreadyQueued: z.number().int().describe('Jobs the batch held from an earlier enqueue'),
  notices: z
    .array(
      z.strictObject({
        model: z.string(),
        retiresOn: z.string().describe('The day Azure retires the model (ISO date)'),
        daysLeft: z.number().int(),
        replacedBy: z.array(z.string()),
        requests: z.number().int().describe('Accepted requests for the model'),
        message: z.string(),
      }),
    )
    .describe('Models of accepted requests that Azure retires within 30 days, one entry per model'),
  statusUrl: z.string(),
  ...reenqueueFieldsSchema.shape,
});

export const batchSummarySchema = z.strictObject({
  batchId: z.string(),
  createdAt: z.number().int().optional().describe('Epoch ms of the first enqueue'),
  endedAt: z.number().int().optional().describe("Epoch ms when the last image got its outcome; the batch's data leaves Redis a retention later (default 30 days)"),
  images: z.number().int(),
  jobs: z.number().int(),
  counts: z.strictObject(Object.fromEntries(IMAGE_OUTCOMES.map((outcome) => [outcome, z.number().int().min(0)])) as Record<(typeof IMAGE_OUTCOMES)[number], z.ZodNumber>),
  pending: z.number().int().describe('Images without an outcome yet'),
  calls: z.number().int().describe('API calls sent for the batch'),
  rateLimitedCalls: z.number().int().describe('Calls answered 429'),
  costUsd: usd("What the batch has cost so far, USD: each image made at its cost from the service's `usage`, else the price table"),
  inFlightCostUsd: usd('Expected cost of the calls in flight, USD (reserved against the budget)'),
  possiblyBilledCostUsd: usd('Expected cost of calls that timed out or died unanswered and may have been billed, USD (counted against the budget)'),
  maxCostUsd: usd("The batch's budget, USD; absent when it has none").optional(),
  client: z.string().optional().describe('The API client (`http.clients` name, or `admin`) that made the batch; absent for one made by the CLI or the library'),
  priority: jobPrioritySchema.describe(
    'The priority of the latest enqueue that named one, which rows added to the batch get too; jobs added before keep theirs. `normal` when no enqueue named one',
  ),
});

export const clientSpendSchema = z.strictObject({
  client: z.string(),
  todayUsd: usd('What the client has spent on the current UTC day, USD: what its daily cap is checked against'),
  totalUsd: usd('What the client has spent in all, USD'),
  dailyCapUsd: usd("The client's daily cap, USD; absent when it has none").optional(),
});

export const webhookDeliverySchema = z.strictObject({
  eventId: z.string().describe('The id receivers deduplicate on'),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).describe('`retrying` names the last HTTP status or error; `failed`: out of attempts; `refused`: host no longer allowed, or no secret'),
  attempts: z.number().int(),
  lastHttpStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  updatedAt: z.number().int().describe('Epoch ms of the last change'),
});

export const imageProblemSchema = z.strictObject({
  imageKey: z.string().describe('`<batch>/<request>-<variant>`'),
  outcome: z.enum(IMAGE_OUTCOMES).describe('`failed`, `rejected` or `skipped`'),
  reason: z.enum(OUTCOME_REASONS).optional().describe('The reason code (see docs/http-api.md); absent for an image recorded before imgbatch kept codes'),
  message: z.string().describe('What happened, for people; never parse it, use `reason`'),
});

export const imageProblemsSchema = z.strictObject({
  total: z.number().int().min(0).describe('Images of the batch that failed, were rejected or skipped, with a message'),
  images: z.array(imageProblemSchema).describe(`At most ${STATUS_PROBLEMS_LIMIT} of them, by image key; all of them when total is at most that`),
});

/** GET /v1/batches/:id: the summary, the spend of the client that made the batch, where its webhook events stand, and its images that were not made. */
export const batchStatusSchema = batchSummarySchema.extend({
  clientSpend: clientSpendSchema.optional().describe('Spend of the client that made the batch (today and in all); absent for a batch made without one'),
  webhooks: z.array(webhookDeliverySchema).describe("Each webhook event of the batch and its delivery state, oldest first; empty when the batch has no callback or nothing happened yet"),
  problems: imageProblemsSchema.describe('Images that failed, were rejected or skipped: their reason code and message, capped (the manifest, `imgbatch results`, lists every one with its `reason`)'),
});

export const cancelResultSchema = z.strictObject({
  batchId: z.string(),
  jobsCancelled: z.number().int(),
  imagesCancelled: z.number().int(),
  jobsInFlight: z.number().int(),
  summary: batchSummarySchema,
});

export const resultsPageSchema = z.strictObject({
  items: z.array(imageRecordSchema),
  nextCursor: z.string().optional().describe('Absent on the last page'),
});

const nullableSeconds = (description: string): z.ZodType<number | null> => z.number().min(0).nullable().describe(description);

export const batchEstimateSchema = z.strictObject({
  images: z.number().int(),
  calls: z.number().int().describe('API calls (image jobs)'),
  expectedCostUsd: usd('Expected cost at the price table, USD'),
  expectedDurationSeconds: nullableSeconds('Time to make every call at the quotas; null when a model has no deployment'),
  models: z.array(
    z.strictObject({
      model: z.string(),
      images: z.number().int(),
      calls: z.number().int(),
      expectedCostUsd: usd('USD'),
      bases: z.array(z.enum(['per-image', 'tokens', 'unpriced'])).describe('Which figures the cost comes from'),
      unpricedImages: z.number().int().describe('Images the price table has no price for, counted as 0'),
      deployments: z.array(z.string()).describe('The configured deployments that serve the model'),
      callsPerMinute: z.number().min(0),
      expectedDurationSeconds: nullableSeconds('null when no deployment serves the model'),
    }),
  ),
  prices: z.strictObject({ takenOn: z.string(), source: z.string() }),
});

export const estimateResultSchema = z.strictObject({
  inputs: z.number().int().describe('Requests (or CSV rows that are not blank) read'),
  accepted: z.number().int(),
  rejected: z.array(rejectedSchema),
  jobs: z.number().int(),
  images: z.number().int(),
  notices: enqueueResultSchema.shape.notices,
  estimate: batchEstimateSchema,
  quotasFrom: z.enum(['config', 'built-in simulator', 'none']).describe('Whose quotas the durations assume'),
});

export const errorBodySchema = z.strictObject({ error: z.string(), message: z.string() });

export const validationErrorBodySchema = z.strictObject({ error: z.literal('validation'), message: z.string(), issues: z.array(issueSchema) });

export const healthSchema = z.strictObject({ status: z.enum(['up', 'down']).describe('Whether Redis answers; why not is in the server log, never here') });

/** The named schemas, by their name in `#/components/schemas/`. Requests are described as a client sends them, responses as the server sends them. */
const REQUEST_COMPONENTS = { ImageRequest: imageRequestSchema, EnqueueBody: documentedEnqueueBodySchema, EstimateBody: documentedEstimateBodySchema };
const RESPONSE_COMPONENTS = {
  ImageRecord: imageRecordSchema,
  Issue: issueSchema,
  Rejected: rejectedSchema,
  EnqueueResult: enqueueResultSchema,
  BatchSummary: batchSummarySchema,
  BatchStatus: batchStatusSchema,
  ClientSpend: clientSpendSchema,
  WebhookDelivery: webhookDeliverySchema,
  ImageProblem: imageProblemSchema,
  CancelResult: cancelResultSchema,
  EstimateResult: estimateResultSchema,
  ResultsPage: resultsPageSchema,
  Error: errorBodySchema,
  ValidationErrorBody: validationErrorBodySchema,
  Health: healthSchema,
};

export type ApiComponentName = keyof typeof REQUEST_COMPONENTS | keyof typeof RESPONSE_COMPONENTS;

const COMPONENTS_PATH = '#/components/schemas/';

function componentsOf(schemas: Readonly<Record<string, z.ZodType>>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: converted } = z.toJSONSchema(registry, { io, uri: (id) => `${COMPONENTS_PATH}${id}` });
  // The dialect and ids are the document's business: OpenAPI 3.1 sets the dialect once.
  return Object.fromEntries(Object.entries(converted).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]));
}

/**
 * `components.schemas` of the OpenAPI document: the schemas above, plus ImageJob, the job
 * contract for other BullMQ producers (see buildJobContract).
 */
export function buildApiComponents(): Record<string, JsonSchema> {
  const { $schema: _dialect, $id: _id, ...imageJob } = buildJobContract();
  return { ...componentsOf(REQUEST_COMPONENTS, 'input'), ...componentsOf(RESPONSE_COMPONENTS, 'output'), ImageJob: imageJob };
}

/** A reference to a named schema, for a route's body or a response (with the response's description). */
export function componentRef(name: ApiComponentName, description?: string): JsonSchema {
  return { $ref: `${COMPONENTS_PATH}${name}`, ...(description !== undefined && { description }) };
}

/*
 * Compile-time checks that what the routes send fits what the document says: a field the
 * schema requires that the value lacks, or a field of another type, does not compile.
 */
type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Fits<Sent, Schema extends z.ZodType> = [Sent] extends [DeepReadonly<z.input<Schema>>] ? true : never;
const _summaryFits: Fits<BatchSummary, typeof batchSummarySchema> = true;
const _cancelFits: Fits<CancelResult & { readonly summary: BatchSummary }, typeof cancelResultSchema> = true;
const _pageFits: Fits<ResultsPage, typeof resultsPageSchema> = true;
const _estimateFits: Fits<BatchEstimate, typeof batchEstimateSchema> = true;
const _statusFits: Fits<
  BatchSummary & { readonly clientSpend?: ClientSpend & { readonly dailyCapUsd?: number }; readonly webhooks: readonly WebhookDelivery[]; readonly problems: ImageProblems },
  typeof batchStatusSchema
> = true;
