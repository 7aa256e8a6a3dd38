import { afterEach, describe, expect, it, vi } from 'vitest';
import { AzureOpenAI } from 'openai';
import { type AzureTarget, createImageClient } from '../../../src/azure/create-image-client.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';

const KEY_TARGET: AzureTarget = {
  endpoint: 'https://my-resource.openai.azure.com/',
  deployment: 'gpt-image-1',
  apiVersion: '2025-04-01-preview',
  timeoutMs: 180_000,
  auth: { kind: 'api-key', apiKey: 'secret-key-123' },
};

const ENTRA_TARGET: AzureTarget = {
  ...KEY_TARGET,
  auth: { kind: 'entra', tokenProvider: () => Promise.resolve('token') },
};

/** For the runtime checks: config files are not type-checked, so neither are these. */
function withAuth(auth: unknown): AzureTarget {
  return { ...KEY_TARGET, auth: auth as AzureTarget['auth'] };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createImageClient', () => {
  it('never lets the SDK retry and always sets the timeout', () => {
    const client = createImageClient(KEY_TARGET);
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(180_000);
  });

  it('with an api key: sends it as api-key to the deployment of the target', () => {
    const client = createImageClient(KEY_TARGET);
    expect(client).toBeInstanceOf(AzureOpenAI);
    expect(client.apiKey).toBe('secret-key-123');
    expect(client.baseURL).toBe('https://my-resource.openai.azure.com/openai');
    expect(client instanceof AzureOpenAI && client.deploymentName).toBe('gpt-image-1');
    expect(client instanceof AzureOpenAI && client.apiVersion).toBe('2025-04-01-preview');
  });

  it('on the v1 path: the plain OpenAI client on {endpoint}/openai/v1/, no deployment in the URL, no SDK retries', () => {
    const client = createImageClient({ ...KEY_TARGET, api: 'v1', apiVersion: 'preview' });
    expect(client).not.toBeInstanceOf(AzureOpenAI);
    expect(client.baseURL).toBe('https://my-resource.openai.azure.com/openai/v1/');
    expect(client.apiKey).toBe('secret-key-123');
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(180_000);
  });

  it('with Entra ID: uses the token provider and no key', () => {
    const client = createImageClient(ENTRA_TARGET);
    expect(client.apiKey).toBeNull();
    expect(client.maxRetries).toBe(0);
  });

  it('with Entra ID and no provider: falls back to DefaultAzureCredential without calling it', () => {
    const client = createImageClient({ ...KEY_TARGET, auth: { kind: 'entra' } });
    expect(client.apiKey).toBeNull();
  });

  it('with Entra ID: an AZURE_OPENAI_API_KEY in the environment does not conflict', () => {
    vi.stubEnv('AZURE_OPENAI_API_KEY', 'env-key');
    const client = createImageClient(ENTRA_TARGET);
    expect(client.apiKey).toBeNull();
  });

  it('ignores OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, OPENAI_ORG_ID and OPENAI_PROJECT_ID in the environment', () => {
    vi.stubEnv('OPENAI_BASE_URL', 'https://elsewhere.example/v1');
    vi.stubEnv('AZURE_OPENAI_ENDPOINT', 'https://elsewhere.openai.azure.com');
    vi.stubEnv('OPENAI_ORG_ID', 'org-x');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-x');
    const client = createImageClient(KEY_TARGET);
    expect(client.baseURL).toBe('https://my-resource.openai.azure.com/openai');
    expect(client.organization).toBeNull();
    expect(client.project).toBeNull();
  });

  it('accepts an endpoint with a path prefix (a gateway in front of the resource)', () => {
    const client = createImageClient({ ...KEY_TARGET, endpoint: 'https://gateway.example/aoai' });
    expect(client.baseURL).toBe('https://gateway.example/aoai/openai');
  });

  describe('rejects incomplete or contradictory options with a ConfigError naming the field', () => {
    it.each([
      ['an empty endpoint', { ...KEY_TARGET, endpoint: '' }, /^endpoint: empty/],
      ['an endpoint that is not a URL', { ...KEY_TARGET, endpoint: 'my-resource' }, /^endpoint: "my-resource" is not a URL/],
      ['an endpoint that is not http(s)', { ...KEY_TARGET, endpoint: 'ftp://my-resource' }, /^endpoint: .* must use https/],
      ['an endpoint already ending in /openai', { ...KEY_TARGET, endpoint: 'https://r.openai.azure.com/openai' }, /resource root/],
      ['an empty deployment', { ...KEY_TARGET, deployment: ' ' }, /^deployment:/],
      ['a deployment with a slash', { ...KEY_TARGET, deployment: 'a/b' }, /^deployment: "a\/b" is not allowed/],
      ['an empty apiVersion', { ...KEY_TARGET, apiVersion: '' }, /^apiVersion:/],
      ['a zero timeout', { ...KEY_TARGET, timeoutMs: 0 }, /^timeoutMs: 0 is not allowed/],
      ['a fractional timeout', { ...KEY_TARGET, timeoutMs: 1.5 }, /^timeoutMs:/],
      ['a NaN timeout', { ...KEY_TARGET, timeoutMs: Number.NaN }, /^timeoutMs:/],
      ['an empty api key', withAuth({ kind: 'api-key', apiKey: '' }), /^auth\.apiKey:/],
      ['an api key and a token provider', withAuth({ kind: 'api-key', apiKey: 'k', tokenProvider: () => Promise.resolve('t') }), /^auth:.*one of/],
      ['Entra with an api key too', withAuth({ kind: 'entra', apiKey: 'k' }), /^auth:.*one of/],
      ['a token provider that is not a function', withAuth({ kind: 'entra', tokenProvider: 'token' }), /^auth\.tokenProvider:/],
      ['an unknown auth kind', withAuth({ kind: 'sas' }), /^auth\.kind: "sas" is not allowed/],
      ['no auth', withAuth(undefined), /^auth:/],
    ])('%s', (_name, target, message) => {
      expect(() => createImageClient(target)).toThrow(ConfigError);
      expect(() => createImageClient(target)).toThrow(message);
    });

    it('never echoes the api key in the message', () => {
      const target = withAuth({ kind: 'entra', apiKey: 'super-secret' });
      let message = '';
      try {
        createImageClient(target);
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).toMatch(/^auth:/);
      expect(message).not.toContain('super-secret');
    });
  });
});
