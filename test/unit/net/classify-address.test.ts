import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../src/net/classify-address.js';

describe('classifyAddress', () => {
  it.each([['127.0.0.1'], ['127.255.0.9'], ['::1'], ['::ffff:127.0.0.1']])('%s is loopback', (address) => {
    expect(classifyAddress(address)).toBe('loopback');
  });

  it.each([
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['172.31.255.255'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['224.0.0.1'],
    ['255.255.255.255'],
    ['fe80::1'],
    ['fd12:3456::1'],
    ['::'],
    ['::ffff:10.0.0.1'],
    ['::FFFF:192.168.0.1'],
    ['not-an-address'],
  ])('%s is private', (address) => {
    expect(classifyAddress(address)).toBe('private');
  });

  it.each([['8.8.8.8'], ['172.32.0.1'], ['20.60.1.1'], ['2606:4700::1111'], ['::ffff:8.8.4.4']])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });
});
