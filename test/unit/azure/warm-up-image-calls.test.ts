import { afterEach, describe, expect, it } from 'vitest';
import { createImageClient } from '../../../src/azure/create-image-client.js';
import { warmUpImageCalls } from '../../../src/azure/warm-up-image-calls.js';
import { startRecordingServer, type RecordingServer } from './recording-server.js';

const IMAGE = JSON.stringify({ created: 1, data: [{ b64_json: Buffer.from('png').toString('base64') }] });

describe('warmUpImageCalls', () => {
  let server: RecordingServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("opens the connection in the pool the deployment's client calls through, so the first call needs no new one", async () => {
    const started = await startRecordingServer((request) => (request.method === 'GET' ? { kind: 'respond', status: 404, body: 'not here' } : { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: IMAGE }));
    server = started;
    // A deployment and timeout no other test's client uses: the pool is this test's alone.
    const target = { endpoint: started.endpoint, deployment: 'warm', apiVersion: '2025-04-01-preview', timeoutMs: 91_357 };
    expect(await warmUpImageCalls([target], 2_000)).toEqual([]);
    expect(started.connections).toBe(1);

    const client = createImageClient({ ...target, auth: { kind: 'api-key', apiKey: 'k' } });
    await client.images.generate({ prompt: 'a kite', n: 1 });
    expect(started.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
    expect(started.connections).toBe(1);
  });

  it('opens one connection per deployment of an endpoint: each deployment calls through a pool of its own', async () => {
    const started = await startRecordingServer((request) => (request.method === 'GET' ? { kind: 'respond', status: 404, body: 'not here' } : { kind: 'respond', status: 200, headers: { 'content-type': 'application/json' }, body: IMAGE }));
    server = started;
    const targets = ['north', 'south'].map((deployment) => ({ endpoint: started.endpoint, deployment, apiVersion: '2025-04-01-preview', timeoutMs: 91_359 }));
    expect(await warmUpImageCalls(targets, 2_000)).toEqual([]);
    expect(started.connections).toBe(2);

    for (const target of targets) await createImageClient({ ...target, auth: { kind: 'api-key', apiKey: 'k' } }).images.generate({ prompt: 'a kite', n: 1 });
    expect(started.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'POST', 'POST']);
    expect(started.connections).toBe(2);
  });

  it('returns an origin it cannot reach once, and never throws', async () => {
    const closed = await startRecordingServer(() => ({ kind: 'respond', status: 200 }));
    const { endpoint } = closed;
    await closed.close();
    const failures = await warmUpImageCalls(
      [
        { endpoint, deployment: 'a', apiVersion: '2025-04-01-preview', timeoutMs: 60_000 },
        { endpoint, deployment: 'b', apiVersion: '2025-04-01-preview', timeoutMs: 120_000 },
      ],
      2_000,
    );
    expect(failures).toEqual([{ origin: endpoint, error: expect.any(String) as unknown }]);
  });
});
