import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { callOutcome, type CallOutcome } from '../../../src/metrics/call-outcome.js';
import { azureImageCases, wireBody, type AzureImageCase } from '../../fixtures/azure-image-cases.js';

/** The reference's verdict for a call, as the worker's outcome label. */
const LABEL_OF: Readonly<Record<AzureImageCase['expect']['outcome'], CallOutcome>> = {
  success: 'ok',
  partial: 'ok',
  filtered: 'filtered',
  rejected: 'terminal_error',
  rate_limited: 'rate_limited',
  transient: 'transient_error',
  pause_deployment: 'deployment_error',
};

/** The error openai 6 throws for a non-2xx answer (as the classifier's table test builds it). */
function sdkErrorFor(testCase: AzureImageCase): APIError {
  const text = wireBody(testCase);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return APIError.generate(testCase.status, json as object | undefined, json === undefined ? text : undefined, new Headers(testCase.headers));
}

describe('callOutcome over every recorded Azure response', () => {
  it.each(azureImageCases.map((testCase) => [testCase.name, testCase] as const))('%s is labelled as the reference decides it', (_name, testCase) => {
    const verdict = testCase.status === 200 ? callOutcome({ body: JSON.parse(wireBody(testCase)) }, 1) : callOutcome({ error: sdkErrorFor(testCase) }, 1);
    expect(verdict.outcome).toBe(LABEL_OF[testCase.expect.outcome]);
    if (testCase.expect.outcome === 'filtered') expect(verdict.filtered).toEqual({ stage: testCase.expect.stage, images: 1 });
    if (testCase.expect.outcome === 'partial') expect(verdict.filtered).toEqual({ stage: 'output', images: testCase.expect.filtered });
    if (testCase.expect.outcome === 'success') expect(verdict.filtered).toBeUndefined();
  });
});

describe('callOutcome', () => {
  it('counts every image of a call the prompt filter refused', () => {
    const refused = new APIError(400, { code: 'content_policy_violation', message: 'refused', innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { violence: { filtered: true, severity: 'high' } } } }, 'refused', new Headers());
    expect(callOutcome({ error: refused }, 3)).toEqual({ outcome: 'filtered', filtered: { stage: 'prompt', images: 3 } });
  });

  it('calls a 200 whose images were all taken by the output filter filtered, and one with nothing usable a transient error', () => {
    const filteredItem = { error: { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' } };
    expect(callOutcome({ body: { created: 1, data: [filteredItem, filteredItem] } }, 2)).toEqual({ outcome: 'filtered', filtered: { stage: 'output', images: 2 } });
    expect(callOutcome({ body: { created: 1, data: [] } }, 1)).toEqual({ outcome: 'transient_error', filtered: undefined });
  });

  it('labels errors that never reached the service as transient', () => {
    expect(callOutcome({ error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }, 1).outcome).toBe('transient_error');
  });
});
