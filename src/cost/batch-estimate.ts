import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ImageJobData } from '../job/image-job.js';
import { expectedCallCost, type CostBasis } from './expected-call-cost.js';
import { fromMicroUsd, toMicroUsd } from './micro-usd.js';
import type { PriceTable } from './price-table.js';

/** What the estimate needs to know of a deployment. */
export type DeploymentQuota = Pick<DeploymentConfig, 'name' | 'model' | 'ratePerMinute' | 'quotaUnit'>;

export interface ModelEstimate {
  readonly model: string;
  readonly images: number;
  /** API calls (image jobs). */
  readonly calls: number;
  readonly expectedCostUsd: number;
  /** Which figures the cost comes from (`unpriced` images count as 0). */
  readonly bases: readonly CostBasis[];
  /** Images the price table has no price for, counted as 0 in the cost. */
  readonly unpricedImages: number;
  /** The configured deployments that serve the model; empty when none does. */
  readonly deployments: readonly string[];
  /** Calls per minute those deployments allow together (their quotas summed); 0 when none serves the model. */
  readonly callsPerMinute: number;
  /** Time to make the model's calls at that rate; null when no deployment serves the model. */
  readonly expectedDurationSeconds: number | null;
}

export interface BatchEstimate {
  readonly images: number;
  readonly calls: number;
  readonly expectedCostUsd: number;
  /**
   * Time to make every call at the configured quotas; each model has its own deployments, so
   * models run side by side and the slowest decides. Null when a model has no deployment.
   */
  readonly expectedDurationSeconds: number | null;
  /** By model, most expensive first. */
  readonly models: readonly ModelEstimate[];
  /** The price table used: when its prices were taken, and where from. */
  readonly prices: { readonly takenOn: string; readonly source: string };
}

export interface BatchEstimator {
  /** Counts one image job (one API call). */
  add(job: Pick<ImageJobData, 'model' | 'size' | 'quality' | 'prompt' | 'variants' | 'edit'>): void;
  result(): BatchEstimate;
}

const DEFAULT_INPUT_PX = 1024;

interface Tally {
  images: number;
  calls: number;
  costMicros: number;
  unpricedImages: number;
  bases: Set<CostBasis>;
}

/**
 * Adds up what a batch is expected to cost and take, job by job, holding one tally per model
 * (so a file of any size is estimated in bounded memory). Duration assumes the limiter keeps
 * each deployment at its quota, with calls of one model spread over every deployment of that
 * model; pools are not considered, so a pool's requests may take longer than shown.
 */
export function createBatchEstimator(options: { readonly prices: PriceTable; readonly deployments: readonly DeploymentQuota[] }): BatchEstimator {
  const tallies = new Map<string, Tally>();
  return {
    add(job) {
      let tally = tallies.get(job.model);
      if (tally === undefined) {
        tally = { images: 0, calls: 0, costMicros: 0, unpricedImages: 0, bases: new Set() };
        tallies.set(job.model, tally);
      }
      const images = job.variants.length;
      const cost = expectedCallCost(options.prices, {
        model: job.model,
        size: job.size,
        quality: job.quality,
        images,
        promptChars: job.prompt.length,
        ...(job.edit !== undefined && {
          // A job from another producer may not say its inputs' dimensions: count them as 1024 px squares.
          inputImages: job.edit.images.map((image) => ({ widthPx: image.widthPx ?? DEFAULT_INPUT_PX, heightPx: image.heightPx ?? DEFAULT_INPUT_PX })),
          ...(job.edit.inputFidelity !== undefined && { inputFidelity: job.edit.inputFidelity }),
        }),
      });
      tally.images += images;
      tally.calls += 1;
      tally.costMicros += toMicroUsd(cost.usd);
      tally.bases.add(cost.basis);
      if (cost.basis === 'unpriced') tally.unpricedImages += images;
    },

    result() {
      const models: ModelEstimate[] = [...tallies.entries()].map(([model, tally]) => {
        const serving = options.deployments.filter((d) => d.model === model);
        const imagesPerCall = tally.calls === 0 ? 1 : tally.images / tally.calls;
        // A deployment whose quota counts images allows fewer calls a minute when calls make several.
        const callsPerMinute = serving.reduce((sum, d) => sum + (d.quotaUnit === 'image' ? d.ratePerMinute / imagesPerCall : d.ratePerMinute), 0);
        return {
          model,
          images: tally.images,
          calls: tally.calls,
          expectedCostUsd: fromMicroUsd(tally.costMicros),
          bases: [...tally.bases].sort(),
          unpricedImages: tally.unpricedImages,
          deployments: serving.map((d) => d.name),
          callsPerMinute,
          expectedDurationSeconds: callsPerMinute > 0 ? (tally.calls / callsPerMinute) * 60 : null,
        };
      });
      models.sort((a, b) => b.expectedCostUsd - a.expectedCostUsd || a.model.localeCompare(b.model));
      const durations = models.map((m) => m.expectedDurationSeconds);
      return {
        images: models.reduce((sum, m) => sum + m.images, 0),
        calls: models.reduce((sum, m) => sum + m.calls, 0),
        expectedCostUsd: fromMicroUsd(models.reduce((sum, m) => sum + toMicroUsd(m.expectedCostUsd), 0)),
        expectedDurationSeconds: durations.some((d) => d === null) ? null : Math.max(0, ...durations.map((d) => d ?? 0)),
        models,
        prices: { takenOn: options.prices.takenOn, source: options.prices.source },
      };
    },
  };
}
