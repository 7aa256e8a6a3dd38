import { describe, expect, it } from 'vitest';
import { createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { applyModelOverrides } from '../../../src/models/model-overrides.js';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';
import { callTimeoutOf, expectedLatencyOf } from '../../../src/worker/call-timeout.js';

const models = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, { 'gpt-image-1.5': { timeoutMs: 400_000, expectedLatencyMs: 90_000 } }, 'c.yaml'));

describe('callTimeoutOf', () => {
  it.each([
    ['the model’s built-in timeout (gpt-image-2: 540 s, above its measured 241 s worst)', { name: 'east', model: 'gpt-image-2' }, undefined, { ms: 540_000, setting: 'models.gpt-image-2.timeoutMs' }],
    ['the config file’s timeout for the model', { name: 'east', model: 'gpt-image-1.5' }, undefined, { ms: 400_000, setting: 'models.gpt-image-1.5.timeoutMs' }],
    ['the worker-wide timeout over the model’s', { name: 'east', model: 'gpt-image-2' }, 200_000, { ms: 200_000, setting: 'worker.timeoutMs (IMGBATCH_TIMEOUT_MS)' }],
    ['the deployment’s own over both', { name: 'east', model: 'gpt-image-2', timeoutMs: 600_000 }, 200_000, { ms: 600_000, setting: 'deployments[].timeoutMs of east' }],
  ])('%s', (_, deployment, workerTimeoutMs, expected) => {
    expect(callTimeoutOf(deployment, models, { timeoutMs: workerTimeoutMs })).toEqual(expected);
  });
});

describe('expectedLatencyOf', () => {
  it('is the deployment’s, else the model’s (built in or from the config file)', () => {
    expect(expectedLatencyOf({ model: 'gpt-image-2' }, models)).toBe(172_000);
    expect(expectedLatencyOf({ model: 'gpt-image-1.5' }, models)).toBe(90_000);
    expect(expectedLatencyOf({ model: 'gpt-image-2', expectedLatencyMs: 30_000 }, models)).toBe(30_000);
  });
});
