import { describe, expect, it } from 'vitest';
import { describeRedisFailure } from '../../../src/queue/describe-redis-failure.js';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

describe('describeRedisFailure', () => {
  it('says the credentials were refused for WRONGPASS, NOAUTH and NOPERM', () => {
    expect(describeRedisFailure(new Error('WRONGPASS invalid username-password pair'))).toBe('Redis refused the credentials in REDIS_URL: WRONGPASS invalid username-password pair');
    expect(describeRedisFailure(new Error('NOPERM this user has no permissions'))).toMatch(/^Redis refused the credentials/);
  });

  it("gives the connection's problem recorded on the error: its cause, or a cluster's last node error", () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const gaveUp = named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).', { cause });
    expect(describeRedisFailure(gaveUp)).toBe('Redis could not be reached or used: connect ECONNREFUSED 127.0.0.1:1');
    const cluster = named('ClusterAllFailedError', 'Failed to refresh slots cache.', { lastNodeError: new Error('connect ETIMEDOUT') });
    expect(describeRedisFailure(cluster)).toBe('Redis could not be reached or used: connect ETIMEDOUT');
  });

  it('says no answer when the error records no problem, and hints at REDIS_TLS_CA_FILE for a certificate', () => {
    expect(describeRedisFailure(new Error('Connection is closed.'))).toBe('Redis could not be reached or used: no answer');
    const untrusted = named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).', { cause: new Error('self-signed certificate in certificate chain') });
    expect(describeRedisFailure(untrusted)).toMatch(/certificate in certificate chain \(set REDIS_TLS_CA_FILE to the PEM file/);
  });

  it('is undefined for any other error, and for a non-Error', () => {
    expect(describeRedisFailure(new Error('ERR unknown command'))).toBeUndefined();
    expect(describeRedisFailure('Connection is closed.')).toBeUndefined();
  });
});
