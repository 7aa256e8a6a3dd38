import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import { createFaultScript } from '../../../src/simulator/fault-script.js';

const call = (prompt: string, clientRequestId?: string): { prompt: string; clientRequestId: string | undefined } => ({
  prompt,
  clientRequestId,
});

describe('createFaultScript', () => {
  it('hands out steps in order, one per matching call, then nothing', () => {
    const script = createFaultScript();
    script.add({ promptIncludes: 'cat' }, [{ kind: '500' }, { kind: 'hang' }]);
    expect(script.take(call('a dog'))).toBeUndefined();
    expect(script.take(call('a cat'))).toEqual({ kind: '500' });
    expect(script.take(call('a cat'))).toEqual({ kind: 'hang' });
    expect(script.take(call('a cat'))).toBeUndefined();
    expect(script.pendingSteps()).toBe(0);
  });

  it('matches on the client request id exactly', () => {
    const script = createFaultScript();
    script.add({ clientRequestId: 'img-1' }, [{ kind: 'reset' }]);
    expect(script.take(call('x', 'img-10'))).toBeUndefined();
    expect(script.take(call('x', 'img-1'))).toEqual({ kind: 'reset' });
  });

  it('fills in 429 defaults', () => {
    const script = createFaultScript();
    script.add({ promptIncludes: 'p' }, [{ kind: '429' }, { kind: '429', retryAfterMs: 2500, headers: 'http-date' }]);
    expect(script.take(call('p'))).toEqual({ kind: '429', retryAfterMs: 1000, headers: 'ms-and-seconds' });
    expect(script.take(call('p'))).toEqual({ kind: '429', retryAfterMs: 2500, headers: 'http-date' });
  });

  it('answers from the oldest matching script first', () => {
    const script = createFaultScript();
    script.add({ promptIncludes: 'cat' }, [{ kind: '500' }]);
    script.add({ clientRequestId: 'k' }, [{ kind: '503' }]);
    expect(script.take(call('cat', 'k'))).toEqual({ kind: '500' });
    expect(script.take(call('cat', 'k'))).toEqual({ kind: '503' });
  });

  it('rejects an unknown step kind with a ConfigError', () => {
    const script = createFaultScript();
    expect(() => {
      script.add({ promptIncludes: 'p' }, [{ kind: '418' } as never]);
    }).toThrow(ConfigError);
  });

  it('forgets everything on clear', () => {
    const script = createFaultScript();
    script.add({ promptIncludes: 'p' }, [{ kind: '500' }]);
    script.clear();
    expect(script.take(call('p'))).toBeUndefined();
  });
});
