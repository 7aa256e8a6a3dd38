import { lifecycleOf } from '../models/lifecycle-of.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { SimulatorOptionsInput } from './simulator-options.js';

/**
 * The demo's simulated resource: one deployment per image model in service (retired ones, as on
 * Azure, have none), named after the model, at 60 RPM each (10 per 10 s window) and with a
 * service time around 300 ms so a batch visibly takes time without making anyone wait for real
 * latencies (gpt-image-2 high: a median of 171 s).
 */
export function demoSimulatorOptions(models: ModelCatalogue, nowMs: number): SimulatorOptionsInput {
  return {
    host: '127.0.0.1',
    port: 0,
    deployments: models.models
      .filter((model) => lifecycleOf(model, nowMs).kind !== 'retired')
      .map((model) => ({
        name: model.id,
        model: model.id,
        ratePerMinute: 60,
        latency: { meanMs: 300, sdMs: 100 },
      })),
  };
}
