import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { usePipeline } from '../../helpers/pipeline.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgbatch-config-model-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A model released after this imgbatch: only the config file knows it. It is like gpt-image-2
 * with a quality of its own and a smaller size rule.
 */
const CONFIG = [
  'models:',
  '  gpt-image-9:',
  '    like: gpt-image-2',
  '    qualities: [low, ultra]',
  '    defaultQuality: ultra',
  '    sizes: { maxEdgePx: 2048 }',
  '    prices: { imageOutputUsdPerMillionTokens: 50, outputTokensPerImage: { ultra: { 1024x1024: 2000 } } }',
].join('\n');

describe('a model added only in the config file', () => {
  const open = usePipeline();

  it('is enqueued, called on the simulator, stored and priced, with its own size rule and quality', async () => {
    await writeFile(join(dir, 'imgbatch.yaml'), CONFIG);
    const config = loadConfig({ env: { IMGBATCH_CONFIG: 'imgbatch.yaml' }, cwd: dir });
    expect(config.models.find('gpt-image-9')).toMatchObject({ defaultQuality: 'ultra', factsFrom: 'config' });

    const p = await open({
      simulator: { deployments: [{ name: 'g9', model: 'gpt-image-9', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } }] },
      models: config.models,
      prices: config.prices,
    });
    p.startWorker();
    const enqueued = await p.producer.enqueue(
      [
        { id: 'owl', prompt: 'A snowy owl on a fence post', model: 'gpt-image-9' },
        { id: 'wide', prompt: 'A wide owl', model: 'gpt-image-9', size: '2560x1440' },
      ],
      { batchId: 'newmodel' },
    );
    // 2560 is past the config's 2048 edge: refused at enqueue, naming the rule the config set.
    expect(enqueued.accepted).toBe(1);
    expect(enqueued.rejected).toEqual([
      { location: 'requests[1]', position: { index: 1 }, issues: [{ location: 'requests[1]', field: 'size', reason: expect.stringContaining('the long edge may be at most 2048 px (it is 2560)') as string }] },
    ]);

    const summary = await p.waitForBatch('newmodel');
    expect(summary.counts).toMatchObject({ stored: 1, failed: 0, rejected: 0 });
    const calls = p.simulator.stats().filter((call) => call.deployment === 'g9');
    expect(calls.map((call) => [call.outcome, call.status])).toEqual([['ok', 200]]);
    const record = await p.store.getRecord('newmodel/owl-0');
    expect(record).toMatchObject({ status: 'stored', model: 'gpt-image-9', quality: 'ultra', size: '1024x1024', deployment: 'g9' });
    expect((await readFile(record?.location ?? '')).subarray(1, 4).toString()).toBe('PNG');
    // Priced from the config's own prices: the simulator's usage at the config's $50 per 1M output tokens.
    expect(record?.costSource).toBe('usage');
    expect(record?.costUsd).toBeGreaterThan(0);
  });
});
