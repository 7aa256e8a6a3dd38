import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { parseRedisUrl } from '../../../src/config/parse-redis-url.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';

const dir = mkdtempSync(join(tmpdir(), 'imgbatch-redis-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ cwd: dir, env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted it');
}

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:6379', { isCluster: false, isTls: false, nodes: [{ host: '127.0.0.1', port: 6379 }] }],
    ['rediss://app:s3cret@cache.example:6380/2', { isCluster: false, isTls: true, nodes: [{ host: 'cache.example', port: 6380 }], username: 'app', password: 's3cret', db: 2 }],
    ['redis://:p%40ss@h', { nodes: [{ host: 'h', port: 6379 }], password: 'p@ss' }],
    ['redis://[::1]:7000', { nodes: [{ host: '::1', port: 7000 }] }],
    ['redis+cluster://10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3', { isCluster: true, isTls: false, nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '10.0.0.3', port: 6379 }] }],
    ['rediss+cluster://u:p@a:1,b:2', { isCluster: true, isTls: true, username: 'u', password: 'p', nodes: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }] }],
  ])('reads %s', (url, expected) => {
    expect(parseRedisUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['http://h:6379', /scheme "http"/],
    ['h:6379', /no scheme/],
    ['redis://a:1,b:2', /redis\+cluster/],
    ['redis://h:99999', /port 99999/],
    ['redis+cluster://a:1/3', /only database 0/],
    ['redis://h/abc', /database "abc"/],
    ['redis://', /no host/],
  ])('refuses %s, naming the problem', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});

describe('Redis settings in loadConfig', () => {
  it('accepts a cluster URL as REDIS_URL, and refuses a malformed one without echoing its password', () => {
    expect(loadConfig({ cwd: dir, env: { REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001' } }).redisUrl).toBe('redis+cluster://127.0.0.1:7000,127.0.0.1:7001');
    const error = configError({ REDIS_URL: 'redis://user:Sup3rSecret@host:notaport' });
    expect(error.message).toMatch(/^REDIS_URL: /);
    expect(error.message).not.toContain('Sup3rSecret');
  });

  it('reads REDIS_TLS_CA_FILE for a rediss:// URL; refuses it with a plain URL, a missing file or a file without a certificate', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadConfig({ cwd: dir, env: { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: 'ca.pem' } });
    expect(config.redisTlsCa).toContain('BEGIN CERTIFICATE');
    expect(loadConfig({ cwd: dir, env: { REDIS_URL: 'rediss://h:6380' } }).redisTlsCa).toBeUndefined();

    expect(configError({ REDIS_URL: 'redis://:pw123456@h:6379', REDIS_TLS_CA_FILE: ca }).message).toMatch(/not a rediss:\/\/ \(TLS\) URL \(got redis:\/\/:\*\*\*@h:6379\)/);
    expect(configError({ REDIS_URL: 'rediss://h', REDIS_TLS_CA_FILE: 'missing.pem' }).message).toMatch(/REDIS_TLS_CA_FILE: cannot read .*missing\.pem/);
    writeFileSync(join(dir, 'key.pem'), 'not a certificate');
    expect(configError({ REDIS_URL: 'rediss://h', REDIS_TLS_CA_FILE: 'key.pem' }).message).toMatch(/holds no PEM certificate/);
  });
});
