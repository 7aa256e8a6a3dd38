import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maskPng, photoJpeg, photoPng } from '../../helpers/edit-images.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { useImageServer } from '../../helpers/image-server.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'test-token-0123456789abcdef';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function waitUntilDone(p: Pipeline, batchId: string): Promise<void> {
  await p.waitForBatch(batchId, 20_000);
}

describe('edits through the HTTP API (inputs as URLs or store references)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();
  const serveFiles = useImageServer();

  it('enqueues JSON edit requests whose inputs are URLs and store references; refuses local paths and private addresses per request', async () => {
    // The catalogue server is on loopback: this deployment's config allows it, as for a local test server.
    const p = await openPipeline({ simulator: { deployments: [GPT] }, inputFetch: { allowLoopback: true } });
    p.startWorker();
    const { base } = await serve(p, { apiToken: TOKEN });
    const photo = await photoJpeg(64, 64);
    const mask = await maskPng(64, 64);
    const catalogue = await serveFiles({ '/mug.jpg': { bytes: photo, contentType: 'image/jpeg' }, '/mask.png': { bytes: mask, contentType: 'image/png' } });
    const earlier = await photoPng(64, 64);
    const storedKey = await p.store.putInput('api-edits', earlier, 'png');

    const response = await fetch(`${base}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batchId: 'api-edits',
        requests: [
          { id: 'from-url', prompt: 'Make it blue', model: 'gpt-image-1.5', images: [`${catalogue}/mug.jpg`], mask: `${catalogue}/mask.png` },
          { id: 'from-store', prompt: 'Make it green', model: 'gpt-image-1.5', images: [`store:${storedKey}`], inputFidelity: 'high' },
          { id: 'local', prompt: 'Make it red', model: 'gpt-image-1.5', images: ['photos/mug.png'] },
          { id: 'private', prompt: 'Make it red', model: 'gpt-image-1.5', images: ['https://192.168.1.5/mug.png'] },
        ],
      }),
    });
    const body = (await response.json()) as { accepted: number; rejected: { index: number; issues: { field: string; reason: string }[] }[] };
    expect(response.status).toBe(202);
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.issues[0]?.field, r.issues[0]?.reason])).toEqual([
      [2, 'image', expect.stringMatching(/^"photos\/mug\.png" is a local path; local paths are read only from a CSV file/) as string],
      [3, 'image', expect.stringContaining('192.168.1.5 is a private or link-local address') as string],
    ]);

    await waitUntilDone(p, 'api-edits');
    const byRequest = (id: string) => p.simulator.stats().find((call) => call.clientRequestId === `api-edits/${id}-0`);
    expect(byRequest('from-url')?.edit).toMatchObject({ images: [{ sha256: sha256(photo), contentType: 'image/jpeg' }], mask: { sha256: sha256(mask) } });
    expect(byRequest('from-store')?.edit).toMatchObject({ images: [{ sha256: sha256(earlier) }], fields: { input_fidelity: 'high' } });
    expect(p.simulator.stats()).toHaveLength(2);
    expect(await p.store.getRecord('api-edits/from-url-0')).toMatchObject({ status: 'stored', inputs: { images: [{ sha256: sha256(photo) }], mask: { sha256: sha256(mask) } } });
  });

  it('refuses local paths in a CSV posted to the API (it has no folder), and takes URL rows', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] }, inputFetch: { allowLoopback: true } });
    p.startWorker();
    const { base } = await serve(p, { apiToken: TOKEN });
    const catalogue = await serveFiles({ '/mug.png': { bytes: await photoPng(), contentType: 'image/png' } });
    const response = await fetch(`${base}/v1/batches?batchId=api-csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' },
      body: `id,prompt,model,image\nurl,Make it blue,gpt-image-1.5,${catalogue}/mug.png\nlocal,Make it red,gpt-image-1.5,mug.png\n`,
    });
    const body = (await response.json()) as { accepted: number; rejected: { row: number; issues: { field: string; reason: string }[] }[] };
    expect(response.status).toBe(202);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.row, r.issues[0]?.field])).toEqual([[3, 'image']]);
    await waitUntilDone(p, 'api-csv');
    expect(p.simulator.stats().map((call) => call.clientRequestId)).toEqual(['api-csv/url-0']);
  });
});
