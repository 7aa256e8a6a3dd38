import { describe, expect, it } from 'vitest';
import { WEBHOOK_ATTEMPTS, WEBHOOK_RETRY_WINDOW_MS, webhookRetryDelayMs } from '../../../src/webhooks/webhook-retry-schedule.js';

describe('webhook retry schedule', () => {
  it('starts at 10 s and doubles, never more than an hour apart', () => {
    expect([1, 2, 3, 4].map(webhookRetryDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(webhookRetryDelayMs(20)).toBe(3_600_000);
    expect(webhookRetryDelayMs(1_000)).toBe(3_600_000);
  });

  it('retries for at least 24 hours, and not a retry more than that needs', () => {
    const retries = WEBHOOK_ATTEMPTS - 1;
    const total = (n: number): number => Array.from({ length: n }, (_, i) => webhookRetryDelayMs(i + 1)).reduce((a, b) => a + b, 0);
    expect(total(retries)).toBeGreaterThanOrEqual(WEBHOOK_RETRY_WINDOW_MS);
    expect(total(retries - 1)).toBeLessThan(WEBHOOK_RETRY_WINDOW_MS);
    expect(WEBHOOK_RETRY_WINDOW_MS).toBe(86_400_000);
  });

  it.each([[0], [-1], [1.5]])('refuses retry number %j', (retry) => {
    expect(() => webhookRetryDelayMs(retry)).toThrow(RangeError);
  });
});
