import type { SizeRule } from './size-rule.js';

/**
 * What each image model accepts, as data: new models arrive every few months and must be a
 * new row here or an entry in the config file's `models:` section (see model-overrides.ts),
 * not a new branch in the code. docs/models.md lists every fact below with its source.
 */
export type ResponseFormat = 'url' | 'b64_json';
export type OutputFormat = 'png' | 'jpeg';

/**
 * Azure's status of the model: generally available, preview, or `unconfirmed` where no
 * Microsoft page states it (gpt-image-2.5: only quota tables list it).
 */
export const LIFECYCLE_STAGES = ['ga', 'preview', 'unconfirmed'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export interface ModelLifecycle {
  readonly stage: LifecycleStage;
  /**
   * The day Azure retires the model (ISO date, UTC): from then its deployments stop working, and
   * imgbatch refuses new work for it. Undefined when no date is announced.
   */
  readonly retiresOn?: string | undefined;
  /** Models to move to, named in the refusal and in warnings; may be empty. */
  readonly replacedBy: readonly string[];
}

/** What a model's `/images/edits` takes; the edits half of imgbatch reads it. */
export interface EditCapabilities {
  /** Input images one edit call takes. */
  readonly maxInputImages: number;
  /** Largest input image, bytes. */
  readonly maxInputBytes: number;
  /** Largest mask, bytes. */
  readonly maxMaskBytes: number;
  /** Values of `input_fidelity` the model takes; empty when the parameter must not be sent. */
  readonly inputFidelities: readonly string[];
}

/** Where a row's facts come from: Microsoft/OpenAI documentation, third parties only, or the user's config. */
export type FactsSource = 'first-party' | 'third-party' | 'config';

export interface ModelCapabilities {
  readonly id: string;
  readonly sizes: SizeRule;
  /** The size a request without one gets (sent explicitly, so cost estimates know it). */
  readonly defaultSize: string;
  readonly qualities: readonly string[];
  /** The quality a request without one gets; always sent, since Azure's docs disagree on the service's own default. */
  readonly defaultQuality: string;
  /** Empty when the model takes no `style` parameter. */
  readonly styles: readonly string[];
  /** Images one call may ask for (`n`). */
  readonly maxImagesPerCall: number;
  /** Empty when the model takes no `output_format` (its images are PNG). */
  readonly outputFormats: readonly OutputFormat[];
  /** Empty when the model takes no `background`. */
  readonly backgrounds: readonly string[];
  readonly supportsCompression: boolean;
  readonly maxPromptChars: number;
  /**
   * How images come back. A model with only `b64_json` rejects the `response_format`
   * parameter altogether (gpt-image family).
   */
  readonly responseFormats: readonly ResponseFormat[];
  readonly acceptsResponseFormat: boolean;
  readonly returnsRevisedPrompt: boolean;
  /** Azure's documented default quota for a new deployment, requests per minute. */
  readonly defaultRatePerMinute: number;
  readonly lifecycle: ModelLifecycle;
  /** Edit support; undefined when the model cannot edit. */
  readonly edits?: EditCapabilities | undefined;
  /** Call timeout, ms: how long one call may take before it is given up (it may still be billed). */
  readonly timeoutMs: number;
  /** Typical duration of one call, ms: sizes worker concurrency (Little's law). */
  readonly expectedLatencyMs: number;
  readonly factsFrom: FactsSource;
}

const MB = 1_000_000;

/**
 * "You can provide up to 16 input images. Each input image must be less than 50 MB"; the mask
 * "less than 4 MB" (Azure image how-to, edit include, ms.date 2026-05-13; 2025-04-01-preview
 * reference, 2026-05-14). Decimal megabytes: the smaller reading of "MB", so a file that passes
 * is under the limit however Azure counts.
 */
function gptImageEdits(inputFidelities: readonly string[]): EditCapabilities {
  return { maxInputImages: 16, maxInputBytes: 50 * MB, maxMaskBytes: 4 * MB, inputFidelities };
}

/**
 * Call timeouts: twice the slowest call measured (its max, or its P95 where no max was
 * published), rounded up to a whole minute, at least 300 s and at most 600 s. 300 s because a
 * third-party benchmark saw read timeouts at 300 s on every gpt-image-2 quality; 600 s as the
 * ceiling the OpenAI SDKs use by default. The measurements (GitHub david-xinyuwei/david-share,
 * "MAI-Image-2-vs-GPT-Image-Benchmark", Azure GlobalStandard, 1024x1024, 2026-09-07…20):
 * gpt-image-2 high max 241.4 s (P50 171.3 s); 2.5-sunburst max P95 229.9 s (max mean 223.4 s);
 * 2.5-flare max P95 79.5 s (max mean 72.2 s). The gpt-image-1 series has no published
 * measurement: Azure says "up to 60 seconds for complex prompts", OpenAI "up to 2 minutes".
 */
const SECOND = 1_000;

const GPT_IMAGE_1_SIZES: SizeRule = { kind: 'list', sizes: ['1024x1024', '1024x1536', '1536x1024'] };

/**
 * gpt-image-2's custom sizes, from Azure's image how-to (ms.date 2026-04-17), the Foundry
 * catalog (April 2026) and OpenAI's image guide (2026-07-27): "Both edges must be a multiple of
 * 16 pixels. Long edge up to 3840 px (4K). Aspect ratio up to 3:1. Total pixel count between
 * 655,360 and 8,294,400", or `auto`.
 */
const GPT_IMAGE_2_SIZES: SizeRule = {
  kind: 'custom',
  multipleOfPx: 16,
  maxEdgePx: 3840,
  maxAspectRatio: 3,
  minPixels: 655_360,
  maxPixels: 8_294_400,
  allowsAuto: true,
};

/**
 * The gpt-image-1 series (Azure image how-to and 2025-04-01-preview reference): three sizes,
 * low/medium/high, n 1–10, png/jpeg (no webp on Azure), compression, transparent background
 * with png, 32,000-character prompts, base64 only.
 */
function gptImage1(
  id: string,
  options: { defaultQuality: string; defaultRatePerMinute: number; lifecycle: ModelLifecycle; inputFidelities: readonly string[] },
): ModelCapabilities {
  return {
    id,
    sizes: GPT_IMAGE_1_SIZES,
    defaultSize: '1024x1024',
    qualities: ['low', 'medium', 'high'],
    defaultQuality: options.defaultQuality,
    styles: [],
    maxImagesPerCall: 10,
    outputFormats: ['png', 'jpeg'],
    backgrounds: ['transparent', 'opaque', 'auto'],
    supportsCompression: true,
    maxPromptChars: 32_000,
    responseFormats: ['b64_json'],
    acceptsResponseFormat: false,
    returnsRevisedPrompt: false,
    defaultRatePerMinute: options.defaultRatePerMinute,
    lifecycle: options.lifecycle,
    edits: gptImageEdits(options.inputFidelities),
    timeoutMs: 300 * SECOND,
    expectedLatencyMs: 60 * SECOND,
    factsFrom: 'first-party',
  };
}

/**
 * gpt-image-2 and the 2.x models of its API shape: custom sizes, png/jpeg with compression,
 * no transparent background ("GPT-image-1 only", Azure edit include 2026-05-13; OpenAI: "gpt-image-2
 * doesn't currently support transparent backgrounds"), never `input_fidelity` (OpenAI: "For
 * gpt-image-2, omit this parameter"), 32,000-character prompts (OpenAI; Azure states no limit
 * for gpt-image-2), n 1–10.
 */
function gptImage2Family(
  id: string,
  options: {
    qualities: readonly string[];
    defaultRatePerMinute: number;
    lifecycle: ModelLifecycle;
    timeoutMs: number;
    expectedLatencyMs: number;
    factsFrom: FactsSource;
  },
): ModelCapabilities {
  return {
    id,
    sizes: GPT_IMAGE_2_SIZES,
    defaultSize: '1024x1024',
    qualities: options.qualities,
    // Azure's how-to says the default is high, its 2025-04-01-preview reference and OpenAI say
    // auto: imgbatch sends `quality` on every call, so which doc is right does not matter.
    defaultQuality: 'high',
    styles: [],
    maxImagesPerCall: 10,
    outputFormats: ['png', 'jpeg'],
    backgrounds: ['opaque', 'auto'],
    supportsCompression: true,
    maxPromptChars: 32_000,
    responseFormats: ['b64_json'],
    acceptsResponseFormat: false,
    returnsRevisedPrompt: false,
    defaultRatePerMinute: options.defaultRatePerMinute,
    lifecycle: options.lifecycle,
    edits: gptImageEdits([]),
    timeoutMs: options.timeoutMs,
    expectedLatencyMs: options.expectedLatencyMs,
    factsFrom: options.factsFrom,
  };
}

/**
 * The built-in rows. Lifecycle dates are Azure's "Model retirement schedule" (Learn, updated
 * 2026-09-02), which moved gpt-image-1.5 from 2026-12-16 to 2027-06-16 and gpt-image-2 from
 * 2027-04-21 to 2027-10-21 against its July version: check the live page. Azure's tables name
 * no replacement for image models; `replacedBy` is Microsoft's word for dall-e-3 and imgbatch's
 * suggestion (the GA model of the same API shape) elsewhere. Default quotas are Azure's Tier 1
 * GlobalStandard requests per minute (quota tier include, 2026-08-20).
 */
export const BUILT_IN_MODELS: readonly ModelCapabilities[] = Object.freeze([
  {
    id: 'dall-e-3',
    sizes: { kind: 'list', sizes: ['1024x1024', '1792x1024', '1024x1792'] },
    defaultSize: '1024x1024',
    qualities: ['standard', 'hd'],
    defaultQuality: 'standard',
    styles: ['vivid', 'natural'],
    maxImagesPerCall: 1,
    outputFormats: [],
    backgrounds: [],
    supportsCompression: false,
    maxPromptChars: 4_000,
    responseFormats: ['url', 'b64_json'],
    acceptsResponseFormat: true,
    returnsRevisedPrompt: true,
    defaultRatePerMinute: 6,
    // "retired on March 4, 2026 … Existing deployments are non-functional" (Azure DALL-E
    // retirement include, 2026-03-18), replacement named there: gpt-image-1-mini. Kept so old
    // batches still read.
    lifecycle: { stage: 'ga', retiresOn: '2026-03-04', replacedBy: ['gpt-image-1-mini'] },
    edits: undefined,
    timeoutMs: 300 * SECOND,
    expectedLatencyMs: 60 * SECOND,
    factsFrom: 'first-party',
  },
  // Preview, retired 2026-10-23 on Azure (retirement schedule) and on OpenAI. Kept so old batches still read.
  gptImage1('gpt-image-1', {
    defaultQuality: 'high',
    defaultRatePerMinute: 9,
    lifecycle: { stage: 'preview', retiresOn: '2026-10-23', replacedBy: ['gpt-image-2'] },
    inputFidelities: ['high', 'low'],
  }),
  // "not supported by gpt-image-1-mini": input_fidelity (2025-04-01-preview reference).
  gptImage1('gpt-image-1-mini', {
    defaultQuality: 'medium',
    defaultRatePerMinute: 12,
    lifecycle: { stage: 'ga', retiresOn: '2027-04-07', replacedBy: ['gpt-image-2'] },
    inputFidelities: [],
  }),
  gptImage1('gpt-image-1.5', {
    defaultQuality: 'high',
    defaultRatePerMinute: 9,
    lifecycle: { stage: 'ga', retiresOn: '2027-06-16', replacedBy: ['gpt-image-2'] },
    inputFidelities: ['high', 'low'],
  }),
  // GA since 2026-04-21 (Azure how-to; Microsoft Foundry blog, 2026-04-21). Timeout: 2 × 241.4 s
  // rounded up to 540 s; expected latency: high's median, 171.3 s (see above).
  gptImage2Family('gpt-image-2', {
    qualities: ['low', 'medium', 'high', 'auto'],
    defaultRatePerMinute: 6,
    lifecycle: { stage: 'ga', retiresOn: '2027-10-21', replacedBy: [] },
    timeoutMs: 540 * SECOND,
    expectedLatencyMs: 172 * SECOND,
    factsFrom: 'first-party',
  }),
  // Third-party facts only: Azure lists both in its Tier 1 quota table (5 RPM GlobalStandard,
  // 2026-08-20) but has no how-to, region or retirement row for them. Version 2026-09-08, same
  // API shape as gpt-image-2 with `xhigh` and `max` qualities (docs.apiyi.com, 2026-09-09;
  // benchmark on Azure above). Transparency reports contradict each other: not offered.
  gptImage2Family('gpt-image-2.5-flare', {
    qualities: ['low', 'medium', 'high', 'xhigh', 'max', 'auto'],
    defaultRatePerMinute: 5,
    lifecycle: { stage: 'unconfirmed', replacedBy: [] },
    // 2 × 79.5 s is under the 300 s floor; expected: max's mean, 72.2 s.
    timeoutMs: 300 * SECOND,
    expectedLatencyMs: 73 * SECOND,
    factsFrom: 'third-party',
  }),
  gptImage2Family('gpt-image-2.5-sunburst', {
    qualities: ['low', 'medium', 'high', 'xhigh', 'max', 'auto'],
    defaultRatePerMinute: 5,
    lifecycle: { stage: 'unconfirmed', replacedBy: [] },
    // 2 × 229.9 s rounded up to 480 s; expected: max's mean, 223.4 s.
    timeoutMs: 480 * SECOND,
    expectedLatencyMs: 224 * SECOND,
    factsFrom: 'third-party',
  }),
] satisfies ModelCapabilities[]);
