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

  it('never echoes something it cannot parse', () => {
    expect(redactUrl('not a url with secret')).toBe('[unparsable URL]');
  });
});
