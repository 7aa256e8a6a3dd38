import { lifecycleOf } from '../models/lifecycle-of.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { MEASURED_MEDIAN_LATENCY_MS } from './measured-latencies.js';
import type { SimulatorOptionsInput } from './simulator-options.js';

/** The demo plays measured latencies this many times faster. */
const DEMO_SPEED_UP = 300;

/**
 * The demo's simulated resource: one deployment per image model in service (retired ones, as on
 * Azure, have none), named after the model, at 60 RPM each (10 per 10 s window). Service times
 * are short so a batch visibly takes time without making anyone wait for real latencies: around
 * 300 ms, and for the models with measured latencies those latencies by quality, 300 times
 * faster (gpt-image-2 high: 171 s measured, ~570 ms here).
 */
export function demoSimulatorOptions(models: ModelCatalogue, nowMs: number): SimulatorOptionsInput {
  return {
    host: '127.0.0.1',
    port: 0,
    deployments: models.models
      .filter((model) => lifecycleOf(model, nowMs).kind !== 'retired')
      .map((model) => {
        const measured = Object.hasOwn(MEASURED_MEDIAN_LATENCY_MS, model.id) ? MEASURED_MEDIAN_LATENCY_MS[model.id] : undefined;
        return {
          name: model.id,
          model: model.id,
          ratePerMinute: 60,
          latency: { meanMs: 300, sdMs: 100 },
          ...(measured !== undefined && {
            latencyByQuality: Object.fromEntries(
              Object.entries(measured).map(([quality, ms]) => [quality, { meanMs: Math.round(ms / DEMO_SPEED_UP), sdMs: Math.round(ms / DEMO_SPEED_UP / 5) }]),
            ),
          }),
        };
      }),
  };
}
