import { describe, expect, it } from 'vitest';
import { checkCallbackUrl } from '../../../src/webhooks/check-callback-url.js';

const policy = { allowedHosts: ['hooks.example.com', '*.shop.example'] };

describe('checkCallbackUrl', () => {
  it.each([['https://hooks.example.com/imgbatch'], ['https://HOOKS.example.com:8443/x?y=1'], ['https://eu.shop.example/events']])('allows %s', (url) => {
    expect(checkCallbackUrl(url, policy)).toBeUndefined();
  });

  it.each([
    ['https://evil.example/x', /not on the config file's webhooks.allowedHosts/],
    ['https://shop.example/x', /not on the config file's webhooks.allowedHosts/],
    ['https://hooks.example.com.evil.example/x', /not on the config file's webhooks.allowedHosts/],
    ['http://hooks.example.com/x', /http:\/\/ is not allowed/],
    ['ftp://hooks.example.com/x', /ftp:\/\/ is not allowed/],
    ['https://user:pw@hooks.example.com/x', /credentials/],
    ['not a url', /is not a URL/],
  ])('refuses %s', (url, reason) => {
    expect(checkCallbackUrl(url, policy)).toMatch(reason);
  });

  it('refuses every URL when no host is allowed', () => {
    expect(checkCallbackUrl('https://hooks.example.com/x', { allowedHosts: [] })).toMatch(/callbacks are off/);
  });

  it('allows http to loopback only when asked, and only to loopback', () => {
    const local = { allowedHosts: ['127.0.0.1', 'localhost'], allowLoopbackHttp: true };
    expect(checkCallbackUrl('http://127.0.0.1:9000/hook', local)).toBeUndefined();
    expect(checkCallbackUrl('http://localhost:9000/hook', local)).toBeUndefined();
    expect(checkCallbackUrl('http://127.0.0.1:9000/hook', { allowedHosts: ['127.0.0.1'] })).toMatch(/http:\/\/ is not allowed/);
    expect(checkCallbackUrl('http://10.0.0.1/hook', { ...local, allowedHosts: ['10.0.0.1'] })).toMatch(/http:\/\/ is not allowed/);
  });
});
