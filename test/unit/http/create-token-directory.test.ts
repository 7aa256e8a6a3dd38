import { describe, expect, it } from 'vitest';
import { createTokenDirectory } from '../../../src/http/create-token-directory.js';
import { hashApiToken } from '../../../src/http/hash-api-token.js';
import { scopeOfRoute } from '../../../src/http/route-scopes.js';

const ADMIN = 'admin-token-0123456789abcdef';
const SHOP = 'shop-token-0123456789abcdef0123456789';

describe('createTokenDirectory', () => {
  const directory = createTokenDirectory({
    adminToken: ADMIN,
    clients: [{ name: 'shop', tokenSha256: hashApiToken(SHOP).toUpperCase(), scopes: ['enqueue', 'read'], batchPrefix: 'shop-', dailyCapUsd: 5 }],
  });

  it('names the admin for IMGBATCH_API_TOKEN, with every scope and no limits', () => {
    expect(directory.resolve(`Bearer ${ADMIN}`)).toMatchObject({ name: 'admin', batchPrefix: undefined, dailyCapUsd: undefined });
    expect([...(directory.resolve(`bearer ${ADMIN}`)?.scopes ?? [])]).toEqual(['enqueue', 'read', 'cancel', 'admin']);
  });

  it('names a client by the SHA-256 of its token (hex in any case), with its scopes, prefix and cap', () => {
    const shop = directory.resolve(`Bearer ${SHOP}`);
    expect(shop).toMatchObject({ name: 'shop', batchPrefix: 'shop-', dailyCapUsd: 5 });
    expect([...(shop?.scopes ?? [])]).toEqual(['enqueue', 'read']);
  });

  it.each([undefined, '', SHOP, `Basic ${SHOP}`, `Bearer ${SHOP}x`, `Bearer ${hashApiToken(SHOP)}`, `Bearer ${SHOP} extra`, 'Bearer '])('knows no one for %j', (header) => {
    expect(directory.resolve(header)).toBeUndefined();
  });
});

describe('scopeOfRoute', () => {
  it.each([
    ['POST', '/v1/batches', 'enqueue'],
    ['POST', '/v1/estimate', 'enqueue'],
    ['GET', '/v1/batches/:batchId', 'read'],
    ['HEAD', '/v1/batches/:batchId', 'read'],
    ['GET', '/v1/batches/:batchId/results', 'read'],
    ['GET', '/v1/batches/:batchId/images/:name', 'read'],
    ['DELETE', '/v1/batches/:batchId', 'cancel'],
    ['POST', '/v1/batches/:batchId/resume', 'enqueue'],
    ['POST', '/v1/batches/:batchId/retry-failed', 'enqueue'],
    ['GET', '/openapi.json', null],
    ['GET', '/metrics', 'admin'],
    ['GET', '/admin/queues/*', 'admin'],
    ['POST', '/v1/some-new-route', 'admin'],
  ])('%s %s needs %s', (method, url, scope) => {
    expect(scopeOfRoute(method, url)).toBe(scope);
  });
});
