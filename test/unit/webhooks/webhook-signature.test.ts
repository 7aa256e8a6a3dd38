import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../../src/webhooks/webhook-signature.js';

const secret = 'whsec-test-0123456789';
const body = '{"id":"evt_1","type":"batch.ended","batchId":"shop"}';
const sentAtS = 1_800_000_000;

describe('signWebhook', () => {
  it('is t=<seconds>,v1=<HMAC-SHA256 of "t.body">, so any receiver can check it with a standard HMAC', () => {
    const expected = createHmac('sha256', secret).update(`${sentAtS}.${body}`).digest('hex');
    expect(signWebhook(secret, body, sentAtS)).toBe(`t=${sentAtS},v1=${expected}`);
  });

  it('refuses an empty secret and a fractional timestamp', () => {
    expect(() => signWebhook('', body, sentAtS)).toThrow(RangeError);
    expect(() => signWebhook(secret, body, 1.5)).toThrow(RangeError);
  });
});

describe('verifyWebhookSignature', () => {
  const header = signWebhook(secret, body, sentAtS);

  it('accepts the signature of the exact body within the tolerance', () => {
    expect(verifyWebhookSignature({ secret, header, body, nowS: sentAtS + 299 })).toEqual({ isValid: true, timestampS: sentAtS });
  });

  it('refuses a changed body, another secret, and a replay under a fresh timestamp', () => {
    expect(verifyWebhookSignature({ secret, header, body: body.replace('shop', 'shoq'), nowS: sentAtS })).toEqual({ isValid: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ secret: 'another-secret', header, body, nowS: sentAtS })).toEqual({ isValid: false, reason: 'mismatch' });
    const replayed = header.replace(`t=${sentAtS}`, `t=${sentAtS + 1000}`);
    expect(verifyWebhookSignature({ secret, header: replayed, body, nowS: sentAtS + 1000 })).toEqual({ isValid: false, reason: 'mismatch' });
  });

  it('refuses a timestamp outside the tolerance either way', () => {
    expect(verifyWebhookSignature({ secret, header, body, nowS: sentAtS + 301 })).toEqual({ isValid: false, reason: 'too_old' });
    expect(verifyWebhookSignature({ secret, header, body, nowS: sentAtS - 301 })).toEqual({ isValid: false, reason: 'too_new' });
    expect(verifyWebhookSignature({ secret, header, body, nowS: sentAtS + 3_000, toleranceS: 3_600 }).isValid).toBe(true);
  });

  it('accepts any of several v1 entries, so a sender can rotate its secret', () => {
    const old = signWebhook('old-secret', body, sentAtS).split(',')[1] ?? '';
    expect(verifyWebhookSignature({ secret, header: `${header},${old}`, body, nowS: sentAtS }).isValid).toBe(true);
    expect(verifyWebhookSignature({ secret: 'old-secret', header: `${header},${old}`, body, nowS: sentAtS }).isValid).toBe(true);
  });

  it.each([[undefined], [''], ['t=abc,v1=00'], [`v1=${'0'.repeat(64)}`], [`t=${sentAtS}`], ['garbage']])('calls header %j malformed', (bad) => {
    expect(verifyWebhookSignature({ secret, header: bad, body, nowS: sentAtS })).toEqual({ isValid: false, reason: 'malformed' });
  });
});
