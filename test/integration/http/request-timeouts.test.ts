import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/http/create-http-server.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'timeouts-token-0123456789abcdef';

/**
 * Opens a raw connection, writes `head` and then nothing more, and resolves once the server
 * closes the connection, with what it sent and how long it took.
 */
async function sendAndStall(base: string, head: string): Promise<{ answer: string; elapsedMs: number }> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const startedMs = Date.now();
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write(head);
  await closed;
  return { answer, elapsedMs: Date.now() - startedMs };
}

describe('request timeouts: a client that sends slowly loses its connection', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  it('closes with 408 a connection whose body stops coming (the public sign-in, and an upload with the token)', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const { base } = await serve(p, { apiToken: TOKEN, requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    const host = new URL(base).host;

    const login = await sendAndStall(base, `POST /admin/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ntoken=abc`);
    expect(login.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(login.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(login.elapsedMs).toBeLessThan(5_000);

    const upload = await sendAndStall(
      base,
      `POST /v1/batches?batchId=slow HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: text/csv\r\nContent-Length: 10000\r\n\r\nprompt,model\nA kite,gpt-image-1-mini\n`,
    );
    expect(upload.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(upload.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(upload.elapsedMs).toBeLessThan(5_000);
    // The stalled upload enqueued nothing it had not finished reading.
    expect((await p.producer.batches.summary('slow')).images).toBe(0);
  });

  it('closes with 408 a connection whose headers stop coming, sooner than the request timeout', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const { base } = await serve(p, { apiToken: TOKEN, requestTimeoutMs: 3_000, headersTimeoutMs: 500 });
    const stalled = await sendAndStall(base, `GET /healthz HTTP/1.1\r\nHost: ${new URL(base).host}\r\nX-Slow: `);
    expect(stalled.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(stalled.elapsedMs).toBeGreaterThanOrEqual(400);
    expect(stalled.elapsedMs).toBeLessThan(2_500);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    const p = { client: {} as never, apiToken: TOKEN };
    expect(() => createHttpServer({ ...p, requestTimeoutMs: 1_000, headersTimeoutMs: 2_000 })).toThrow(/headersTimeoutMs: 2000 is over requestTimeoutMs \(1000\)/);
    expect(() => createHttpServer({ ...p, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs: 0 is not a whole number ≥ 1/);
  });
});
