import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import { demoSimulatorOptions } from '../../../src/simulator/demo-simulator-options.js';
import { parseSimulatorOptions } from '../../../src/simulator/simulator-options.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';

describe('parseSimulatorOptions', () => {
  it('fills in the documented defaults', () => {
    const options = parseSimulatorOptions({ deployments: [{ name: 'd', model: 'dall-e-3' }] });
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      apiKeys: ['sim-key'],
      bearerTokens: [],
      rateWindowMs: 10_000,
      imageWidthPx: 64,
      imageHeightPx: 64,
      contentFilter: { promptMarkers: ['gore'], outputMarkers: ['[output-filter]'], itemMarkers: ['[item-filter]'] },
      faults: { seed: 1, error500Rate: 0, error503Rate: 0, hangRate: 0, resetRate: 0 },
    });
    expect(options.deployments[0]).toEqual({
      name: 'd',
      model: 'dall-e-3',
      ratePerMinute: 60,
      latency: { meanMs: 50, sdMs: 10 },
      rateLimitHeaders: 'ms-and-seconds',
    });
  });

  it('accepts an empty object (a resource without deployments)', () => {
    expect(parseSimulatorOptions({}).deployments).toEqual([]);
  });

  it('names the field and the value it rejects', () => {
    const parse = (): unknown => parseSimulatorOptions({ deployments: [{ name: 'd', model: 'dall-e-3', ratePerMinute: 0 }] });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/deployments\.0\.ratePerMinute: must be at least 1 \(got 0\)/);
  });

  it('rejects two deployments with one name', () => {
    expect(() =>
      parseSimulatorOptions({ deployments: [{ name: 'd', model: 'dall-e-3' }, { name: 'd', model: 'gpt-image-1' }] }),
    ).toThrow(/deployments\.1\.name: "d" is already the name of another deployment/);
  });

  it('rejects unknown fields, so a typo in a config file is not silently ignored', () => {
    expect(() => parseSimulatorOptions({ deployment: [] })).toThrow(ConfigError);
  });

  it('rejects fault rates adding up to more than 1', () => {
    expect(() => parseSimulatorOptions({ faults: { error500Rate: 0.6, hangRate: 0.6 } })).toThrow(/add up to at most 1/);
  });
});

describe('demoSimulatorOptions', () => {
  it('has one deployment per image model in service, named after it, at 60 RPM and ~300 ms', () => {
    const options = parseSimulatorOptions(demoSimulatorOptions(BUILT_IN_CATALOGUE, Date.parse('2026-12-06T12:00:00Z')));
    // dall-e-3 (retired 2026-03-04) and gpt-image-1 (2026-10-23) have no deployment, as on Azure.
    expect(options.deployments.map((d) => d.name)).toEqual(['gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'gpt-image-2.5-flare', 'gpt-image-2.5-sunburst']);
    expect(options.deployments.find((d) => d.name === 'gpt-image-2')?.latencyByQuality).toEqual({
      // The measured medians (31.2 s, 64.6 s, 171.3 s), 300 times faster.
      low: { meanMs: 104, sdMs: 21 },
      medium: { meanMs: 215, sdMs: 43 },
      high: { meanMs: 571, sdMs: 114 },
      auto: { meanMs: 571, sdMs: 114 },
    });
    for (const deployment of options.deployments) {
      expect(deployment).toMatchObject({ model: deployment.name, ratePerMinute: 60, latency: { meanMs: 300, sdMs: 100 } });
    }
  });
});
