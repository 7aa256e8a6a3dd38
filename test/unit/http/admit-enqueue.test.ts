import { describe, expect, it } from 'vitest';
import type { ClientLedger } from '../../../src/batch/client-ledger.js';
import { ADMIN_PRINCIPAL, type ApiPrincipal } from '../../../src/http/api-principal.js';
import { admitEnqueue } from '../../../src/http/admit-enqueue.js';

/** The ledger as an in-memory fake of its port: batch owners and today's spend per client. */
function fakeLedger(owners: Record<string, string> = {}, todayUsd: Record<string, number> = {}): Pick<ClientLedger, 'claimBatch' | 'spendOf'> {
  return {
    claimBatch: (batchId, client) => Promise.resolve((owners[batchId] ??= client)),
    spendOf: (client) => Promise.resolve({ client, todayUsd: todayUsd[client] ?? 0, totalUsd: todayUsd[client] ?? 0 }),
  };
}

const SHOP: ApiPrincipal = { name: 'shop', scopes: new Set(['enqueue']), batchPrefix: 'shop-', dailyCapUsd: 2 };
// 2026-12-06 18:00 UTC: six hours to midnight.
const NOW = Date.UTC(2026, 11, 6, 18);

describe('admitEnqueue', () => {
  it('admits everything, recording nothing, without auth', async () => {
    const owners: Record<string, string> = {};
    expect(await admitEnqueue(undefined, 'any', fakeLedger(owners), NOW)).toEqual({ kind: 'admitted', batchId: 'any' });
    expect(owners).toEqual({});
  });

  it('claims a new batch for the client, naming one inside its prefix when none was asked for', async () => {
    const owners: Record<string, string> = {};
    const admission = await admitEnqueue(SHOP, undefined, fakeLedger(owners), NOW);
    expect(admission).toMatchObject({ kind: 'admitted', batchId: expect.stringMatching(/^shop-b-/) as unknown });
    expect(Object.values(owners)).toEqual(['shop']);
  });

  it('refuses a batch outside the prefix, before claiming it', async () => {
    const owners: Record<string, string> = {};
    expect(await admitEnqueue(SHOP, 'other-1', fakeLedger(owners), NOW)).toMatchObject({ kind: 'refused', status: 403, code: 'batch_outside_prefix' });
    expect(owners).toEqual({});
  });

  it("refuses another client's batch, but not to admin", async () => {
    expect(await admitEnqueue(SHOP, 'shop-1', fakeLedger({ 'shop-1': 'other' }), NOW)).toMatchObject({ kind: 'refused', status: 403, code: 'batch_of_another_client' });
    expect(await admitEnqueue(ADMIN_PRINCIPAL, 'shop-1', fakeLedger({ 'shop-1': 'shop' }), NOW)).toEqual({ kind: 'admitted', batchId: 'shop-1' });
  });

  it('refuses with 429 until UTC midnight once today’s spend has reached the cap, and admits just under it', async () => {
    expect(await admitEnqueue(SHOP, 'shop-1', fakeLedger({}, { shop: 2 }), NOW)).toEqual({
      kind: 'refused',
      status: 429,
      code: 'daily_cap_reached',
      message: 'client shop has spent $2.0000 today (UTC), its daily cap is $2.0000: no new batch work until 00:00 UTC',
      retryAfterSeconds: 6 * 3600,
    });
    expect(await admitEnqueue(SHOP, 'shop-1', fakeLedger({}, { shop: 1.9999 }), NOW)).toMatchObject({ kind: 'admitted' });
  });
});
