import { z } from 'zod';
import { callTimeoutMsSchema } from '../models/model-overrides.js';

/** Azure's stable API version that serves the gpt-image family. */
export const DEFAULT_API_VERSION = '2025-04-01-preview';

/**
 * The api-version sent on the v1 path: Azure documents images on v1 as
 * `POST {endpoint}/openai/v1/images/generations?api-version=preview` (image how-to, 2026-04-17;
 * whether images are in the v1 GA surface without it is not stated).
 */
export const DEFAULT_V1_API_VERSION = 'preview';

/**
 * Which Azure path a deployment is called on: `deployments`,
 * `{endpoint}/openai/deployments/{deployment}/images/...?api-version=...`; or `v1`,
 * `{endpoint}/openai/v1/images/...` with the deployment name as `model` (Azure's v1 API, opt-in
 * since August 2025, "api-version is no longer a required parameter").
 */
export const AZURE_APIS = ['deployments', 'v1'] as const;
export type AzureApi = (typeof AZURE_APIS)[number];

/**
 * One Azure deployment as written in a config file. Secrets are never in the file: an API
 * key is named by the environment variable that holds it.
 */
export const deploymentFileEntrySchema = z.strictObject({
  /** Our name for it (logs, limiter keys, status); default: the deployment name. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"').optional(),
  /** e.g. `https://my-resource.openai.azure.com/` */
  endpoint: z.url('must be a URL such as https://my-resource.openai.azure.com/'),
  /** The deployment name in Azure. */
  deployment: z.string().min(1),
  /** Image model id from the model table, e.g. `gpt-image-1-mini`. */
  model: z.string().min(1),
  /** The deployment's quota in requests per minute. */
  ratePerMinute: z.number().positive(),
  /** Default: `2025-04-01-preview`, or `preview` with `api: v1`. */
  apiVersion: z.string().min(1).optional(),
  /** `deployments` (default) or `v1`: Azure's v1 path, `{endpoint}/openai/v1/`, with the deployment name as model. */
  api: z.enum(AZURE_APIS, `must be one of ${AZURE_APIS.join(', ')}`).optional(),
  /** `{ "apiKeyEnv": "NAME" }` for a key held in env var NAME, or `"entra"` for keyless Entra ID. */
  auth: z.union([z.literal('entra'), z.strictObject({ apiKeyEnv: z.string().min(1) })]),
  /** Whether the quota counts requests or images (calls with n > 1); default `request`. */
  quotaUnit: z.enum(['request', 'image']).optional(),
  /**
   * Priority tier, 1 is best (default 1). Calls go to the best tier that has a slot now; a
   * lower tier takes only what the better ones cannot start at once (spill-over).
   */
  priority: z.number().int().min(1).max(100).optional(),
  /** Named pools this deployment belongs to; a request naming a pool is served only by its members. */
  pools: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"')).optional(),
  /** Call timeout for this deployment, ms (at most 600000); default: the worker's, else the model's. */
  timeoutMs: callTimeoutMsSchema.optional(),
  /** Typical call duration here, ms, for worker concurrency; default: the model's. */
  expectedLatencyMs: z.number().int('must be a whole number').positive('must be more than 0').optional(),
});

export type DeploymentFileEntry = z.output<typeof deploymentFileEntrySchema>;

export type DeploymentAuth = { readonly kind: 'api-key'; readonly apiKey: string } | { readonly kind: 'entra' };

/** A deployment with its secret resolved; lives only in process memory. */
export interface DeploymentConfig {
  readonly name: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly model: string;
  readonly ratePerMinute: number;
  readonly apiVersion: string;
  /** Which Azure path it is called on; default `deployments`. */
  readonly api?: AzureApi | undefined;
  readonly auth: DeploymentAuth;
  readonly quotaUnit: 'request' | 'image';
  /** 1 is the best tier. */
  readonly priority: number;
  readonly pools: readonly string[];
  /** Call timeout, ms; undefined: the worker's `timeoutMs`, else the model's (see callTimeoutOf). */
  readonly timeoutMs?: number | undefined;
  /** Typical call duration, ms; undefined: the model's. */
  readonly expectedLatencyMs?: number | undefined;
}

/** Whether a deployment may serve a request for `model` (and, when one is named, `pool`). */
export function servesRequest(deployment: Pick<DeploymentConfig, 'model' | 'pools'>, wanted: { readonly model: string; readonly pool?: string | undefined }): boolean {
  return deployment.model === wanted.model && (wanted.pool === undefined || deployment.pools.includes(wanted.pool));
}
