import { describe, expect, it } from 'vitest';
import { createImageClient } from '../../../src/azure/create-image-client.js';
import { generateImages } from '../../../src/azure/generate-images.js';
import { readImagesResponse } from '../../../src/azure/read-images-response.js';
import { classifyError } from '../../../src/errors/classify-error.js';
import { IMAGE_JOB_VERSION, type ImageJobData } from '../../../src/job/image-job.js';
import { createSimulator } from '../../../src/simulator/create-simulator.js';
import { usePipeline } from '../../helpers/pipeline.js';

const fast = { meanMs: 20, sdMs: 5 };

const JOB: ImageJobData = {
  v: IMAGE_JOB_VERSION,
  batchId: 'v1',
  requestId: 'entra',
  variants: [0],
  prompt: 'A lighthouse on a cliff',
  model: 'gpt-image-2',
  size: '2048x1152',
  quality: 'low',
  enqueuedAt: 0,
};

describe("Azure's v1 API ({endpoint}/openai/v1/, model = deployment name)", () => {
  const open = usePipeline();

  it('a v1 deployment with an API key is enqueued, called on the v1 path and stored end to end', async () => {
    const p = await open({
      simulator: { deployments: [{ name: 'g2-v1', model: 'gpt-image-2', ratePerMinute: 600, latency: fast }] },
      deployments: (fromSimulator) => fromSimulator.map((d) => ({ ...d, api: 'v1' as const, apiVersion: 'preview' })),
    });
    p.startWorker();
    await p.producer.enqueue([{ id: 'cliff', prompt: 'A lighthouse on a cliff', model: 'gpt-image-2', size: '2048x1152', quality: 'low' }], { batchId: 'v1path' });
    const summary = await p.waitForBatch('v1path');
    expect(summary.counts).toMatchObject({ stored: 1, failed: 0 });
    expect(p.simulator.stats().map((call) => [call.api, call.deployment, call.outcome])).toEqual([['v1', 'g2-v1', 'ok']]);
    expect(await p.store.getRecord('v1path/cliff-0')).toMatchObject({ status: 'stored', deployment: 'g2-v1', size: '2048x1152', costSource: 'usage' });
  });

  it('a v1 deployment with Entra ID sends the token as a bearer; a refused token pauses the deployment', async () => {
    const simulator = await createSimulator({ deployments: [{ name: 'g2-v1', model: 'gpt-image-2', latency: fast }], bearerTokens: ['entra-token'] });
    try {
      const target = { endpoint: simulator.url, deployment: 'g2-v1', apiVersion: 'preview', api: 'v1' as const, timeoutMs: 10_000 };
      const client = createImageClient({ ...target, auth: { kind: 'entra', tokenProvider: () => Promise.resolve('entra-token') } });
      const answer = await generateImages(client, JOB, { clientRequestId: 'v1/entra-0', model: 'g2-v1' });
      expect(answer.status).toBe(200);
      expect(readImagesResponse(answer.body)).toMatchObject({ kind: 'images', images: [{ index: 0 }] });
      expect(simulator.stats().map((call) => [call.api, call.deployment, call.outcome])).toEqual([['v1', 'g2-v1', 'ok']]);

      const refused = createImageClient({ ...target, auth: { kind: 'entra', tokenProvider: () => Promise.resolve('stale-token') } });
      const failure = await generateImages(refused, JOB, { clientRequestId: 'v1/entra-1', model: 'g2-v1' }).catch((error: unknown) => error);
      expect(classifyError(failure)).toMatchObject({ kind: 'pause_deployment', reason: 'auth', status: 401 });
    } finally {
      await simulator.close();
    }
  });
});
