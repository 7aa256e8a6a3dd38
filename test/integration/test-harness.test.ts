import { Redis } from 'ioredis';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';

describe('test harness', () => {
  it('provides a private redis-server and an Azurite', async () => {
    const redis = new Redis(inject('redisUrl'));
    expect(await redis.ping()).toBe('PONG');
    await redis.quit();
    const blob = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
    const container = blob.getContainerClient('harness-check');
    await container.createIfNotExists();
    expect(await container.exists()).toBe(true);
    await container.delete();
  });
});
