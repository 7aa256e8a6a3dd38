import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/cli/redact-url.js';

describe('redactUrl', () => {
  it('hides a Redis password (an Azure Cache access key) and user', () => {
    const shown = redactUrl('rediss://default:S3cretAccessKey@cache.redis.cache.windows.net:6380/0');
    expect(shown).not.toContain('S3cretAccessKey');
    expect(shown).toBe('rediss://***:***@cache.redis.cache.windows.net:6380/0');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('hides the credentials of a cluster URL, a password holding "@" or "/" unencoded, and a password query parameter', () => {
    expect(redactUrl('rediss+cluster://app:p4ss@10.0.0.1:7000,10.0.0.2:7001')).toBe('rediss+cluster://***:***@10.0.0.1:7000,10.0.0.2:7001');
    expect(redactUrl('redis://:pa/ss@w0rd@h:6379/2')).toBe('redis://:***@h:6379/2');
    expect(redactUrl('redis://h:6379?password=s3cret&db=1')).toBe('redis://h:6379?password=***&db=1');
  });

  it('never echoes something it cannot parse', () => {
    expect(redactUrl('not a url with secret')).toBe('[unparsable URL]');
  });
});
