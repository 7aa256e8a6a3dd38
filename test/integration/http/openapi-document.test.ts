import { afterEach, describe, expect, it } from 'vitest';
import { createImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { SESSION_FORM_ROUTES } from '../../../src/http/home-routes.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/metrics/prometheus-metrics.js';
import { createRedisClient, type RedisClient } from '../../../src/queue/redis-connection.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'openapi-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** bull-board's own pages, assets and JSON API: it marks them hidden; the document lists its entry page. */
const BULL_BOARD_INTERNALS = /^\/admin\/queues\/./;
const PUBLIC = new Set(['/healthz', '/admin/login', '/admin/logout']);

interface Operation {
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string; readonly schema?: Record<string, unknown> }>;
  readonly requestBody?: { readonly content: Record<string, { readonly schema: Record<string, unknown> }> };
  readonly responses: Record<string, { readonly description: string; readonly content?: Record<string, { readonly schema: Record<string, unknown> }> }>;
  readonly security?: unknown[];
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly security: unknown[];
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] }> };
}

/** `/v1/batches/:batchId` as OpenAPI writes it: `/v1/batches/{batchId}`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

describe('the OpenAPI document, generated from the route schemas', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();
  let connection: RedisClient | undefined;
  let metrics: PrometheusMetrics | undefined;
  afterEach(async () => {
    await metrics?.close();
    await connection?.quit();
    metrics = connection = undefined;
  });

  it('lists every route the server registers, with its path parameters, query, body and responses, at GET /openapi.json', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    connection = createRedisClient(p.redisUrl, 'producer');
    metrics = createPrometheusMetrics({ connection, prefix: p.prefix });
    const { base, server } = await serve(p, { apiToken: TOKEN, metrics });
    const response = await fetch(`${base}/openapi.json`, { headers: AUTH });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as OpenApiDocument;
    expect(doc.openapi).toBe('3.1.0');

    const routes = server.routes.filter((route) => route.method !== 'HEAD' && !BULL_BOARD_INTERNALS.test(route.url));
    expect(routes.map((route) => `${route.method} ${route.url}`)).toEqual(
      expect.arrayContaining(['POST /v1/batches', 'GET /v1/batches/:batchId', 'DELETE /v1/batches/:batchId', 'GET /metrics', 'GET /admin/queues', 'POST /admin/login']),
    );
    for (const route of routes) {
      const operation = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url} is in the document`).toBeDefined();
      if (operation === undefined) continue;
      // Every response is declared: @fastify/swagger writes "Default Response" for a route without any.
      const responses = Object.entries(operation.responses);
      expect(responses.length, `${route.method} ${route.url} declares its responses`).toBeGreaterThan(0);
      for (const [status, declared] of responses) expect(declared.description, `${route.method} ${route.url} ${status}`).not.toBe('Default Response');
      // Security as the auth hook applies it: public routes none, reads and the dashboard's forms the token or a session, other changes the token only.
      const security = operation.security ?? doc.security;
      const takesSession = route.method === 'GET' || SESSION_FORM_ROUTES.has(route.url);
      const expected = PUBLIC.has(route.url) ? [] : takesSession ? [{ bearer: [] }, { session: [] }] : [{ bearer: [] }];
      expect(security, `${route.method} ${route.url} security`).toEqual(expected);
      for (const name of [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1])) {
        expect(operation.parameters, `${route.method} ${route.url} documents :${name}`).toContainEqual(expect.objectContaining({ name, in: 'path', schema: expect.any(Object) as unknown }));
      }
    }
    // Nothing documented that the server does not have.
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map((route) => `${route.method} ${openApiPath(route.url)}`).sort());

    // The request schemas are the ones the routes validate with.
    const post = doc.paths['/v1/batches']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(post?.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/EnqueueBody' });
    expect(post?.parameters?.map((q) => q.name)).toEqual(['batchId', 'model', 'maxCostUsd', 'redoChanged', 'priority', 'callbackUrl', 'callbackPerImage']);
    for (const action of ['resume', 'retry-failed']) {
      const resume = doc.paths[`/v1/batches/{batchId}/${action}`]?.post;
      expect(resume?.requestBody?.content['application/json']?.schema, action).toMatchObject({ properties: { maxCostUsd: { minimum: 0 } } });
      expect(Object.keys(resume?.responses['200']?.content?.['application/json']?.schema.properties as object), action).toEqual(
        expect.arrayContaining(['retried', 'requeued', 'forgottenOutcomes', 'summary']),
      );
    }
    expect(doc.paths['/v1/batches/{batchId}/results']?.get?.parameters).toContainEqual(expect.objectContaining({ name: 'limit', in: 'query', schema: expect.objectContaining({ minimum: 1, maximum: 1000 }) as unknown }));
    expect(doc.paths['/batches/{batchId}']?.get?.parameters).toContainEqual(expect.objectContaining({ name: 'page', in: 'query' }));
    expect(Object.keys(doc.paths['/admin/login']?.post?.requestBody?.content ?? {})).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    expect(doc.paths['/v1/batches/{batchId}']?.get?.responses['200']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/BatchStatus' });
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);

    const { schemas } = doc.components;
    expect(Object.keys(schemas.ImageRequest?.properties ?? {})).toEqual(expect.arrayContaining(['prompt', 'n', 'model', 'size']));
    expect(Object.keys(schemas.ImageJob?.properties ?? {})).toEqual(expect.arrayContaining(['v', 'batchId', 'variants', 'enqueuedAt']));
    // A batch's callback, the estimate, and where a status shows client spend and webhook deliveries.
    expect(Object.keys(schemas.EnqueueBody?.properties ?? {})).toEqual(['batchId', 'maxCostUsd', 'redoChanged', 'priority', 'callback', 'requests']);
    expect(doc.paths['/v1/estimate']?.post?.responses['200']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/EstimateResult' });
    expect(Object.keys(schemas.BatchStatus?.properties ?? {})).toEqual(expect.arrayContaining(['client', 'clientSpend', 'webhooks', 'problems']));
    expect(schemas.ImageProblem?.properties?.reason?.enum).toEqual(expect.arrayContaining(['attempts_exhausted', 'budget_exceeded', 'not_kept']));
    // Every reference points at a schema the document holds.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(schemas).toHaveProperty(name);
  });

  it('refuses with 400, before the handler runs, a body, query or path parameter that the documented schema refuses', async () => {
    // Redis is unreachable: any handler that ran would fail with a 500, so a 400 is the route's schema check.
    const client = createImgbatchClient({ connection: 'redis://127.0.0.1:1', prefix: 'unused' });
    const server = createHttpServer({ client, apiToken: TOKEN });
    try {
      const base = await server.listen({ port: 0 });
      const doc = (await fetch(`${base}/openapi.json`, { headers: AUTH }).then((r) => r.json())) as OpenApiDocument;
      const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: { error?: string; issues?: unknown[] } }> => {
        const response = await fetch(`${base}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } });
        return { status: response.status, body: (await response.json()) as { error?: string; issues?: unknown[] } };
      };
      const json = { 'content-type': 'application/json' };

      const enqueueBody = doc.components.schemas.EnqueueBody;
      expect(enqueueBody).toMatchObject({ required: ['requests'], additionalProperties: false, properties: { requests: { minItems: 1 }, maxCostUsd: { minimum: 0 } } });
      expect(await call('/v1/batches', { method: 'POST', headers: json, body: JSON.stringify({ requests: [] }) })).toEqual({
        status: 400,
        body: { error: 'validation', message: 'requests: must hold at least one request', issues: [{ field: 'requests', reason: 'must hold at least one request' }] },
      });
      expect(await call('/v1/batches', { method: 'POST', headers: json, body: JSON.stringify({ batchId: 'b' }) })).toMatchObject({ status: 400, body: { issues: [{ field: 'requests' }] } });
      expect(await call('/v1/batches', { method: 'POST', headers: json, body: JSON.stringify({ requests: [{}], colour: 'red' }) })).toMatchObject({
        status: 400,
        body: { issues: [{ field: '(body)', reason: expect.stringContaining('colour') as unknown }] },
      });
      expect(await call('/v1/batches', { method: 'POST', headers: json, body: JSON.stringify({ requests: [{}], maxCostUsd: -1 }) })).toMatchObject({ status: 400, body: { issues: [{ field: 'maxCostUsd' }] } });

      expect(doc.paths['/v1/batches/{batchId}/results']?.get?.parameters).toContainEqual(expect.objectContaining({ name: 'limit', schema: expect.objectContaining({ maximum: 1000 }) as unknown }));
      expect(await call('/v1/batches/shop/results?limit=1001')).toMatchObject({ status: 400, body: { issues: [{ field: 'limit', reason: 'must be at most 1000' }] } });
      expect(await call('/v1/batches/shop/results?colour=red')).toMatchObject({ status: 400, body: { issues: [{ field: '(query)' }] } });
      expect(await call('/v1/batches?model=', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'prompt\nA kite\n' })).toMatchObject({ status: 400, body: { issues: [{ field: 'model' }] } });

      expect(doc.paths['/v1/batches/{batchId}']?.get?.parameters).toContainEqual(expect.objectContaining({ name: 'batchId', schema: expect.objectContaining({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }) as unknown }));
      expect(await call('/v1/batches/-shop')).toMatchObject({ status: 400, body: { issues: [{ field: 'batchId' }] } });
      expect(await call('/v1/batches/shop/images/mug')).toMatchObject({ status: 400, body: { issues: [{ field: 'name', reason: 'must be <request id>-<variant>, e.g. mug-0' }] } });
      expect(await call('/batches/shop?page=0')).toMatchObject({ status: 400, body: { issues: [{ field: 'page', reason: 'must be at least 1' }] } });
    } finally {
      await server.close();
      await client.close().catch(() => undefined);
    }
  });
});
