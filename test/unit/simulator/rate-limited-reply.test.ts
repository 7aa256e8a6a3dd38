import { describe, expect, it } from 'vitest';
import { rateLimitedReply } from '../../../src/simulator/rate-limited-reply.js';

const nowMs = Date.parse('2026-11-21T12:00:00.400Z');
const reply = (mode: Parameters<typeof rateLimitedReply>[0]['mode'], retryAfterMs = 4_200): ReturnType<typeof rateLimitedReply> =>
  rateLimitedReply({ apiVersion: '2024-10-21', retryAfterMs, mode, nowMs, headers: { 'x-request-id': 'r' } });

describe('rateLimitedReply', () => {
  it('sends the real 429 body with the wait rounded up to seconds', () => {
    const answer = reply('none');
    expect(answer.status).toBe(429);
    expect(JSON.parse(String(answer.body))).toEqual({
      error: {
        code: '429',
        message:
          'Requests to the ImageGenerations_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 5 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
      },
    });
  });

  it('says "1 second" in the singular, as the real message does', () => {
    expect(String(reply('none', 300).body)).toContain('Please retry after 1 second.');
  });

  it('ms-and-seconds: retry-after-ms and retry-after', () => {
    expect(reply('ms-and-seconds').headers).toEqual({
      'x-request-id': 'r',
      'retry-after-ms': '4200',
      'retry-after': '5',
      'x-ratelimit-remaining-requests': '0',
      'content-type': 'application/json',
    });
  });

  it('seconds: retry-after only', () => {
    expect(reply('seconds').headers).toEqual({ 'x-request-id': 'r', 'retry-after': '5', 'content-type': 'application/json' });
  });

  it('http-date: retry-after as a date that many whole seconds after the date header', () => {
    const { headers } = reply('http-date');
    expect(headers['date']).toBe('Sat, 21 Nov 2026 12:00:00 GMT');
    expect(headers['retry-after']).toBe('Sat, 21 Nov 2026 12:00:05 GMT');
    expect(Date.parse(headers['retry-after'] ?? '') - Date.parse(headers['date'] ?? '')).toBe(5_000);
  });

  it('reset-requests: only x-ratelimit-reset-requests, in seconds', () => {
    expect(reply('reset-requests').headers).toEqual({
      'x-request-id': 'r',
      'x-ratelimit-reset-requests': '5',
      'content-type': 'application/json',
    });
  });

  it('none: no wait header at all', () => {
    const { headers } = reply('none');
    expect(Object.keys(headers).sort()).toEqual(['content-type', 'x-request-id']);
  });
});
