/**
 * Median call durations by quality, ms, measured on Azure GlobalStandard deployments at
 * 1024x1024, one call at a time (third-party benchmark, GitHub david-xinyuwei/david-share,
 * "MAI-Image-2-vs-GPT-Image-Benchmark": gpt-image-2 in eastus2 on 2026-09-07, 2.5 in
 * swedencentral on 2026-09-17/18; xhigh and max are means). `auto` is taken as high. The
 * simulator's demo plays them 300 times faster; a deployment's `latencyByQuality` can play
 * them as they are.
 */
export const MEASURED_MEDIAN_LATENCY_MS: Readonly<Record<string, Readonly<Record<string, number>>>> = Object.freeze({
  'gpt-image-2': { low: 31_200, medium: 64_600, high: 171_300, auto: 171_300 },
  'gpt-image-2.5-flare': { low: 21_900, medium: 23_600, high: 32_600, xhigh: 44_300, max: 72_200, auto: 32_600 },
  'gpt-image-2.5-sunburst': { low: 32_500, medium: 40_600, high: 76_100, xhigh: 112_700, max: 223_400, auto: 76_100 },
});
