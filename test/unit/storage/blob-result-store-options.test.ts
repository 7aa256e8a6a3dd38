import type { TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import { createBlobResultStore, type BlobResultStoreOptions } from '../../../src/storage/blob-result-store.js';

// Building a store makes no request: these checks need no storage.
const connectionString =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;';
const accountUrl = 'https://myaccount.blob.core.windows.net';
const credential: TokenCredential = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

describe('createBlobResultStore options', () => {
  it('accepts a connection string, and signs read URLs with its account key', () => {
    const store = createBlobResultStore({ connectionString, container: 'results' });
    expect(store.kind).toBe('blob');
    expect(store.containerUrl).toBe('http://127.0.0.1:1/devstoreaccount1/results');
    expect(store.canSignUrls).toBe(true);
  });

  it('accepts an account URL with an injected Entra ID credential', () => {
    const store = createBlobResultStore({ accountUrl, credential, container: 'results' });
    expect(store.description).toBe('https://myaccount.blob.core.windows.net/results');
    expect(store.canSignUrls).toBe(false);
  });

  it('accepts an account URL alone (DefaultAzureCredential, which asks for no token until the first request)', () => {
    expect(createBlobResultStore({ accountUrl, container: 'results' }).canSignUrls).toBe(false);
  });

  it.each<[string, BlobResultStoreOptions, RegExp]>([
    ['both connection string and account URL', { connectionString, accountUrl, container: 'results' }, /not both/],
    ['neither connection string nor account URL', { container: 'results' }, /connectionString .* or accountUrl/],
    ['a credential with a connection string', { connectionString, credential, container: 'results' }, /credential/],
    ['a connection string that is not one', { connectionString: 'hello', container: 'results' }, /not a valid storage connection string/],
    ['an account URL that is not a URL', { accountUrl: 'myaccount', container: 'results' }, /not a URL/],
    ['an account URL that is not http(s)', { accountUrl: 'ftp://myaccount', container: 'results' }, /https/],
    ['an upper-case container name', { connectionString, container: 'Results' }, /container: "Results"/],
    ['a two-letter container name', { connectionString, container: 'ab' }, /3-63/],
    ['a container name with a double hyphen', { connectionString, container: 'a--b' }, /single hyphens/],
    ['a container name ending in a hyphen', { connectionString, container: 'ab-' }, /container/],
    ['a prefix that climbs out', { connectionString, container: 'results', prefix: 'runs/../..' }, /prefix/],
    ['a prefix with an empty folder', { connectionString, container: 'results', prefix: 'runs//x' }, /prefix/],
    ['a prefix with a backslash', { connectionString, container: 'results', prefix: 'runs\\x' }, /prefix/],
    ['a zero request timeout', { connectionString, container: 'results', requestTimeoutMs: 0 }, /requestTimeoutMs/],
  ])('refuses %s with a ConfigError that says what is wrong', (_label, options, message) => {
    expect(() => createBlobResultStore(options)).toThrow(ConfigError);
    expect(() => createBlobResultStore(options)).toThrow(message);
  });

  it('never repeats a connection string in its error, since it may hold a key', () => {
    const secret = 'AccountName=a;AccountKey=c2VjcmV0;NotAnEndpoint';
    let message = '';
    try {
      createBlobResultStore({ connectionString: secret, container: 'results' });
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('c2VjcmV0');
  });
});
