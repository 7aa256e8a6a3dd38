import { describe, expect, it } from 'vitest';
import { createHostCheck } from '../../../src/http/create-host-check.js';

describe('createHostCheck', () => {
  const loopbackOnly = createHostCheck({ allowedHosts: undefined });

  it.each([
    ['localhost:8080', true],
    ['127.0.0.1:8080', true],
    ['[::1]:8080', true],
    ['LOCALHOST:8080', true],
    ['localhost.:8080', true],
    ['localhost:3000', false],
    ['localhost', false],
    ['evil.example:8080', false],
    ['127.0.0.1.evil.example:8080', false],
    ['localhost:8080@evil.example', false],
    ['', false],
    [undefined, false],
  ])('loopback only, listening on 8080: %j -> %s', (host, expected) => {
    expect(loopbackOnly(host, 8080)).toBe(expected);
  });

  it('takes a loopback name without a port when the server listens on 80, and none before it listens', () => {
    expect(loopbackOnly('localhost', 80)).toBe(true);
    expect(loopbackOnly('localhost:80', null)).toBe(false);
  });

  it('answers listed names at any port, or only at the port given, besides the loopback names', () => {
    const check = createHostCheck({ allowedHosts: ['api.example.com', '10.0.0.5:8080', '[fd00::1]'] });
    expect(check('api.example.com', 8080)).toBe(true);
    expect(check('API.example.com:443', 8080)).toBe(true);
    expect(check('10.0.0.5:8080', 8080)).toBe(true);
    expect(check('10.0.0.5:9090', 8080)).toBe(false);
    expect(check('10.0.0.5', 8080)).toBe(false);
    expect(check('[fd00::1]:8080', 8080)).toBe(true);
    expect(check('localhost:8080', 8080)).toBe(true);
    expect(check('www.example.com', 8080)).toBe(false);
    expect(check('example.com', 8080)).toBe(false);
  });

  it('answers any Host for "*", and refuses an entry that is not a host', () => {
    expect(createHostCheck({ allowedHosts: ['*'] })('anything.example', 1)).toBe(true);
    expect(() => createHostCheck({ allowedHosts: ['https://api.example.com'] })).toThrow(/allowedHosts: "https:\/\/api.example.com" is not a host name/);
    expect(() => createHostCheck({ allowedHosts: ['*.example.com'] })).toThrow(/is not a host name/);
  });
});
