/**
 * Which image sizes a model takes: a fixed list (the gpt-image-1 series, dall-e-3), or a rule
 * for models that take custom sizes (gpt-image-2). Data, so a model with other bounds is a
 * new rule in the table or the config file, not new code.
 */
export type SizeRule =
  | {
      readonly kind: 'list';
      /** Every `WIDTHxHEIGHT` the model takes. */
      readonly sizes: readonly string[];
    }
  | {
      readonly kind: 'custom';
      /** Both edges must be multiples of this many pixels. */
      readonly multipleOfPx: number;
      /** The longer edge may be at most this long. */
      readonly maxEdgePx: number;
      /** Long edge : short edge at most this (3 for 3:1). */
      readonly maxAspectRatio: number;
      /** Width × height at least this. */
      readonly minPixels: number;
      /** Width × height at most this. */
      readonly maxPixels: number;
      /** Whether `auto` (the service picks) is accepted too. */
      readonly allowsAuto: boolean;
    };

/** `auto`: the service chooses the size; only rules that say so take it. */
export const AUTO_SIZE = 'auto';

const SIZE_PATTERN = /^([1-9][0-9]{0,5})x([1-9][0-9]{0,5})$/;

/** Width and height of a `WIDTHxHEIGHT` size, or undefined for anything else (`auto`, `1024*1024`, `0x5`). */
export function parseSize(size: string): { readonly widthPx: number; readonly heightPx: number } | undefined {
  const match = SIZE_PATTERN.exec(size);
  if (match === null) return undefined;
  return { widthPx: Number(match[1]), heightPx: Number(match[2]) };
}

/** The rule in a few words, for messages: `1024x1024, 1024x1536` or `WIDTHxHEIGHT, edges multiples of 16, ...`. */
export function describeSizeRule(rule: SizeRule): string {
  if (rule.kind === 'list') return rule.sizes.join(', ');
  return (
    `WIDTHxHEIGHT with both edges multiples of ${rule.multipleOfPx}, the long edge at most ${rule.maxEdgePx} px, ` +
    `long:short at most ${rule.maxAspectRatio}:1, ${rule.minPixels.toLocaleString('en-US')}–${rule.maxPixels.toLocaleString('en-US')} pixels` +
    (rule.allowsAuto ? `; or ${AUTO_SIZE}` : '')
  );
}

/**
 * Why `size` breaks the rule (a clause such as `the long edge may be at most 3840 px (it is
 * 4096)`), or undefined when the model takes it. Names the first bound broken with the numbers,
 * so a CSV row says exactly what to change.
 */
export function sizeProblem(rule: SizeRule, size: string): string | undefined {
  if (rule.kind === 'list') return rule.sizes.includes(size) ? undefined : 'not one of the sizes the model makes';
  if (size === AUTO_SIZE) return rule.allowsAuto ? undefined : 'auto is not taken by this model: give WIDTHxHEIGHT';
  const parsed = parseSize(size);
  if (parsed === undefined) return `not a size: write WIDTHxHEIGHT, e.g. 1024x1024${rule.allowsAuto ? `, or ${AUTO_SIZE}` : ''}`;
  const { widthPx, heightPx } = parsed;
  const offEdges = [
    ...(widthPx % rule.multipleOfPx === 0 ? [] : [`width ${widthPx}`]),
    ...(heightPx % rule.multipleOfPx === 0 ? [] : [`height ${heightPx}`]),
  ];
  if (offEdges.length > 0) return `both edges must be multiples of ${rule.multipleOfPx} px (${offEdges.join(' and ')} ${offEdges.length === 1 ? 'is' : 'are'} not)`;
  const longPx = Math.max(widthPx, heightPx);
  const shortPx = Math.min(widthPx, heightPx);
  if (longPx > rule.maxEdgePx) return `the long edge may be at most ${rule.maxEdgePx} px (it is ${longPx})`;
  if (longPx > shortPx * rule.maxAspectRatio) return `long:short may be at most ${rule.maxAspectRatio}:1 (${longPx}:${shortPx} is ${(longPx / shortPx).toFixed(2)}:1)`;
  const pixels = widthPx * heightPx;
  if (pixels < rule.minPixels) return `${pixels.toLocaleString('en-US')} pixels is below the minimum of ${rule.minPixels.toLocaleString('en-US')}`;
  if (pixels > rule.maxPixels) return `${pixels.toLocaleString('en-US')} pixels is over the maximum of ${rule.maxPixels.toLocaleString('en-US')}`;
  return undefined;
}
