import { describe, expect, it } from 'vitest';
import { closeInOrder } from '../../../src/cli/close-in-order.js';
import { rejection } from '../../helpers/rejection.js';

describe('closeInOrder', () => {
  it('closes every resource in turn even when some fail, then throws the first failure', async () => {
    const closed: string[] = [];
    const close = (name: string, error?: Error) => (): Promise<void> => {
      closed.push(name);
      return error === undefined ? Promise.resolve() : Promise.reject(error);
    };
    const first = new Error('metrics would not close');
    const failure = await rejection(closeInOrder([close('server'), close('metrics', first), close('connection', new Error('quit failed')), close('client'), close('store')]));
    expect(failure).toBe(first);
    expect(closed).toEqual(['server', 'metrics', 'connection', 'client', 'store']);
  });

  it('resolves when every close succeeds', async () => {
    await expect(closeInOrder([() => Promise.resolve('OK')])).resolves.toBeUndefined();
  });
});
