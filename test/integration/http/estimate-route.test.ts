import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateDeployments } from '../../../src/cli/estimate-deployments.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { estimateResultSchema, validationErrorBodySchema } from '../../../src/http/api-schemas.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';

const FIXTURE = join('test', 'fixtures', 'csv', 'estimate.csv');
const TOKEN = 'test-token-0123456789abcdef';
const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

describe('POST /v1/estimate: the numbers of imgbatch estimate, over HTTP (nothing enqueued)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  async function open(): Promise<(body: string, contentType: string, query?: string) => Promise<{ status: number; body: Record<string, unknown> }>> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    // What `imgbatch estimate` uses without a config: built-in prices, the embedded simulator's quotas.
    const config = loadConfig({ env: {} });
    const { deployments } = estimateDeployments(config);
    const { base } = await serve(p, { apiToken: TOKEN, estimate: { prices: config.prices, deployments, quotasFrom: 'built-in simulator', models: config.models } });
    return async (body, contentType, query = '') => {
      const response = await fetch(`${base}/v1/estimate${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType }, body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  }

  it('gives for a CSV the estimate the CLI gives for the same file, with refused rows by row number', async () => {
    const post = await open();
    // The CLI writes its rejects file under the output folder.
    const outputDir = await mkdtemp(join(tmpdir(), 'imgbatch-estimate-route-'));
    const [cli, http] = await Promise.all([runCli(['estimate', FIXTURE, '--json'], { IMGBATCH_OUTPUT_DIR: outputDir }), post(await readFile(FIXTURE, 'utf8'), 'text/csv')]);
    await rm(outputDir, { recursive: true, force: true });
    expect(http.status).toBe(200);
    const result = estimateResultSchema.parse(http.body);
    const fromCli = JSON.parse(cli.stdout) as { estimate: unknown; accepted: number; images: number; jobs: number };
    expect(result.estimate).toEqual(fromCli.estimate);
    expect(result).toMatchObject({ accepted: fromCli.accepted, images: fromCli.images, jobs: fromCli.jobs, quotasFrom: 'built-in simulator' });
    expect(result.rejected.map((r) => ({ row: r.row, index: r.index, fields: r.issues.map((issue) => issue.field) }))).toEqual([
      { row: 5, index: undefined, fields: ['n'] },
      { row: 6, index: undefined, fields: ['size'] },
      { row: 7, index: undefined, fields: ['model'] },
    ]);
  });

  it('takes JSON requests, naming a refused one by its index, and refuses with 400 when none is valid', async () => {
    const post = await open();
    const good = { id: 'icon', prompt: 'Flat icon of a bell', n: 3, model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low' };
    const mixed = await post(JSON.stringify({ requests: [good, { ...good, id: 'bad', n: 0 }] }), 'application/json');
    expect(mixed.status).toBe(200);
    const result = estimateResultSchema.parse(mixed.body);
    expect(result.estimate).toMatchObject({ images: 3, calls: 3, expectedCostUsd: 0.015, expectedDurationSeconds: 3 });
    expect(result.rejected).toEqual([{ location: 'requests[1]', index: 1, issues: [{ field: 'n', reason: '0 is below the minimum of 1' }] }]);

    const none = await post(JSON.stringify({ requests: [{ ...good, model: 'dall-e-3' }] }), 'application/json');
    expect(none.status).toBe(400);
    expect(validationErrorBodySchema.parse(none.body).issues).toEqual([{ location: 'requests[0]', index: 0, field: 'model', reason: expect.stringContaining('dall-e-3 was retired') as unknown }]);
  });
});
