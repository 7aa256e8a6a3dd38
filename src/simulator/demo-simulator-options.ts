import { BUILT_IN_CATALOGUE } from '../models/model-catalogue.js';
import type { SimulatorOptionsInput } from './simulator-options.js';

/**
 * The demo's simulated resource: one deployment per image model, named after the model, at
 * 60 RPM each (10 per 10 s window) and with a service time around 300 ms so a batch visibly
 * takes time without making anyone wait for real dall-e-3 latencies (8–10 s).
 */
export const DEMO_SIMULATOR_OPTIONS: SimulatorOptionsInput = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  deployments: BUILT_IN_CATALOGUE.ids.map((model) => ({
    name: model,
    model,
    ratePerMinute: 60,
    latency: { meanMs: 300, sdMs: 100 },
  })),
});
