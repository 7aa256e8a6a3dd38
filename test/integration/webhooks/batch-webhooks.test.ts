import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createWebhookDeliveryLog, type WebhookDelivery } from '../../../src/webhooks/webhook-delivery-state.js';
import { webhookEventId, type WebhookEvent } from '../../../src/webhooks/webhook-event.js';
import { WEBHOOK_JOB_NAME } from '../../../src/webhooks/webhook-queue.js';
import { createWebhookService, type WebhookService } from '../../../src/webhooks/webhook-service.js';
import type { WebhookSettings } from '../../../src/webhooks/webhook-settings.js';
import { verifyWebhookSignature } from '../../../src/webhooks/webhook-signature.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'whsec-integration-test';

interface Received {
  readonly body: string;
  readonly signature: string | undefined;
  readonly eventId: string | undefined;
}

/** A receiver on loopback that answers each POST with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[]): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const read = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      const signature = req.headers['imgbatch-signature'];
      const eventId = req.headers['imgbatch-event-id'];
      received.push({ body, signature: typeof signature === 'string' ? signature : undefined, eventId: typeof eventId === 'string' ? eventId : undefined });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/imgbatch`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

const requests = (count: number): Array<{ id: string; prompt: string; model: string }> =>
  Array.from({ length: count }, (_, i) => ({ id: `p${i}`, prompt: `a lamp ${i}`, model: 'gpt-image-1-mini' }));

describe('batch webhooks', () => {
  const open = usePipeline();
  const services: Array<{ service: WebhookService; connection: Redis }> = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const { service, connection } of services.splice(0)) {
      await service.close();
      await connection.quit();
    }
    for (const close of closers.splice(0)) await close();
  });

  function startService(p: Pipeline, settings: Partial<WebhookSettings>, name: string, claimIdleMs?: number): WebhookService {
    const connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
    const service = createWebhookService({
      connection,
      prefix: p.prefix,
      settings: { secret: SECRET, policy: { allowedHosts: ['127.0.0.1'], allowLoopbackHttp: true }, timeoutMs: 2_000, ...settings },
      consumerName: name,
      logger: createLogger({ level: 'silent' }),
      retryDelayMs: () => 200,
      ...(claimIdleMs !== undefined && { claimIdleMs }),
    });
    services.push({ service, connection });
    return service;
  }

  async function deliveriesOf(p: Pipeline, batchId: string): Promise<WebhookDelivery[]> {
    const connection = new Redis(p.redisUrl);
    try {
      return await createWebhookDeliveryLog(connection, createKeySpace(p.prefix)).read(batchId);
    } finally {
      await connection.quit();
    }
  }

  it('POSTs batch.ended, signed over the body, retries after a 500 with the same event id and body, records it delivered, and leaves no finished job in Redis', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    const receiver = await startReceiver([500, 200]);
    closers.push(receiver.close);
    const service = startService(p, {}, 'host-a');
    p.startWorker();
    await p.producer.enqueue(requests(3), { batchId: 'shop', callback: { url: receiver.url, perImage: false } });
    await p.waitForBatch('shop');

    const delivered = await waitFor(
      async () => (await deliveriesOf(p, 'shop')).find((d) => d.status === 'delivered'),
      15_000,
      () => `deliveries: ${JSON.stringify(receiver.received.length)} POSTs`,
    );
    expect(delivered).toMatchObject({ type: 'batch.ended', attempts: 2, lastHttpStatus: 200 });
    // The delivery log keeps the state; the job itself leaves Redis once it completes.
    await waitFor(async () => ((await service.queue.getJob(delivered.eventId)) === undefined ? true : undefined), 5_000, () => 'the delivered job removed');
    expect(await service.queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active')).toEqual({ completed: 0, failed: 0, waiting: 0, delayed: 0, active: 0 });
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second?.body).toBe(first?.body);
    expect(second?.eventId).toBe(first?.eventId);
    for (const post of receiver.received) {
      expect(verifyWebhookSignature({ secret: SECRET, header: post.signature, body: post.body }).isValid).toBe(true);
      expect(verifyWebhookSignature({ secret: 'not-the-secret', header: post.signature, body: post.body }).isValid).toBe(false);
    }
    const event = JSON.parse(first?.body ?? '{}') as WebhookEvent;
    expect(event).toMatchObject({ id: delivered.eventId, type: 'batch.ended', batchId: 'shop', data: { images: 3, pending: 0, counts: { stored: 3 } } });
    // Written after the batch ended, the delivery log expires with the rest of the batch.
    const connection = new Redis(p.redisUrl);
    try {
      const keys = createKeySpace(p.prefix);
      const [logTtl, headerTtl] = await Promise.all([connection.ttl(keys.batchWebhooks('shop')), connection.ttl(keys.batch('shop'))]);
      expect(headerTtl).toBeGreaterThan(0);
      expect(Math.abs(logTtl - headerTtl)).toBeLessThanOrEqual(1);
    } finally {
      await connection.quit();
    }
  });

  it('sends image.finished for every image when asked, and each event exactly once with two dispatchers running', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    const receiver = await startReceiver([200]);
    closers.push(receiver.close);
    startService(p, {}, 'host-a');
    startService(p, {}, 'host-b');
    p.startWorker();
    await p.producer.enqueue(requests(4), { batchId: 'each', callback: { url: receiver.url, perImage: true } });
    await p.waitForBatch('each');

    const deliveries = await waitFor(
      async () => {
        const all = await deliveriesOf(p, 'each');
        return all.length === 5 && all.every((d) => d.status === 'delivered') ? all : undefined;
      },
      15_000,
      () => `${receiver.received.length} POSTs so far`,
    );
    expect(deliveries.map((d) => d.type).sort()).toEqual(['batch.ended', 'image.finished', 'image.finished', 'image.finished', 'image.finished']);
    const ids = receiver.received.map((post) => post.eventId);
    expect(new Set(ids).size).toBe(5);
    expect(ids).toHaveLength(5);
    const images = receiver.received.map((post) => JSON.parse(post.body) as WebhookEvent).flatMap((e) => (e.type === 'image.finished' ? [e.data.imageKey] : []));
    expect(images.sort()).toEqual(['each/p0-0', 'each/p1-0', 'each/p2-0', 'each/p3-0']);
  });

  it('does not POST to a host that is not on the allow-list, and records the event refused with the reason', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    const receiver = await startReceiver([200]);
    closers.push(receiver.close);
    startService(p, { policy: { allowedHosts: ['hooks.example.com'], allowLoopbackHttp: true } }, 'host-a');
    p.startWorker();
    await p.producer.enqueue(requests(1), { batchId: 'elsewhere', callback: { url: receiver.url, perImage: false } });
    await p.waitForBatch('elsewhere');
    const refused = await waitFor(async () => (await deliveriesOf(p, 'elsewhere')).find((d) => d.status === 'refused'), 15_000, () => 'no refusal recorded');
    expect(refused.lastError).toMatch(/not on the config file's webhooks.allowedHosts/);
    expect(receiver.received).toEqual([]);
  });

  it('writes no event for a batch without a callback', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    // No dispatcher runs: whatever the outcome scripts wrote to the outbox stays there to be seen.
    p.startWorker();
    await p.producer.enqueue(requests(2), { batchId: 'quiet' });
    await p.waitForBatch('quiet');
    const connection = new Redis(p.redisUrl);
    try {
      expect(await connection.xlen(createKeySpace(p.prefix).webhookOutbox)).toBe(0);
      await p.producer.enqueue(requests(1), { batchId: 'loud', callback: { url: 'https://hooks.example.com/x', perImage: false } });
      await p.waitForBatch('loud');
      const entries = await connection.xrange(createKeySpace(p.prefix).webhookOutbox, '-', '+');
      expect(entries.map(([, fields]) => fields)).toEqual([['type', 'batch.ended', 'batchId', 'loud', 'ending', '1']]);
    } finally {
      await connection.quit();
    }
  });

  it('keeps a delivered event delivered when it is handed over again (a dispatcher died before acknowledging it)', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    const connection = new Redis(p.redisUrl);
    try {
      const log = createWebhookDeliveryLog(connection, createKeySpace(p.prefix));
      await log.writePending([
        { batchId: 'b', eventId: 'e1', type: 'batch.ended' },
        { batchId: 'b', eventId: 'e2', type: 'image.finished' },
      ]);
      await log.write('b', { eventId: 'e1', type: 'batch.ended', status: 'delivered', attempts: 1, lastHttpStatus: 204, updatedAt: 1 });
      await log.writePending([{ batchId: 'b', eventId: 'e1', type: 'batch.ended' }]);
      expect((await log.read('b')).map(({ eventId, status, attempts }) => ({ eventId, status, attempts }))).toEqual([
        { eventId: 'e1', status: 'delivered', attempts: 1 },
        { eventId: 'e2', status: 'pending', attempts: 0 },
      ]);
    } finally {
      await connection.quit();
    }
  });

  it('does not deliver again an event handed over a second time after its job was delivered and removed (a dispatcher died before acknowledging it)', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 6000 }] } });
    const receiver = await startReceiver([200]);
    closers.push(receiver.close);
    const keys = createKeySpace(p.prefix);
    const connection = new Redis(p.redisUrl);
    closers.push(async () => {
      await connection.quit();
    });
    await p.producer.batches.setCallback('again', { url: receiver.url, perImage: false });
    // A dispatcher that read the event, queued its delivery and died before acknowledging it.
    await connection.xgroup('CREATE', keys.webhookOutbox, 'dispatchers', '0', 'MKSTREAM');
    const streamId = await connection.xadd(keys.webhookOutbox, '*', 'type', 'batch.ended', 'batchId', 'again');
    await connection.xreadgroup('GROUP', 'dispatchers', 'dead-host', 'COUNT', 10, 'STREAMS', keys.webhookOutbox, '>');
    const eventId = webhookEventId(streamId ?? '');
    const service = startService(p, {}, 'host-b', 1_000);
    await service.queue.add(WEBHOOK_JOB_NAME, { eventId, type: 'batch.ended', batchId: 'again', body: JSON.stringify({ id: eventId }) }, { jobId: eventId });

    await waitFor(async () => ((await deliveriesOf(p, 'again'))[0]?.status === 'delivered' ? true : undefined), 10_000, () => 'the event delivered');
    await waitFor(async () => ((await service.queue.getJob(eventId)) === undefined ? true : undefined), 5_000, () => 'the delivered job removed');
    // The living dispatcher claims the abandoned entry and acknowledges it: the hand-over is done.
    await waitFor(async () => ((await connection.xlen(keys.webhookOutbox)) === 0 ? true : undefined), 15_000, () => 'the abandoned entry claimed');
    expect(await service.queue.getJob(eventId)).toBeUndefined();
    expect(receiver.received).toHaveLength(1);
    expect((await deliveriesOf(p, 'again')).map((d) => d.status)).toEqual(['delivered']);
  });
});
