import type { ContentFilterMarkers } from './simulator-options.js';

/**
 * Where the simulated content filter stops a call: the prompt (400 before generating), every
 * output (400 after generating), or one item of a successful response (200, partial).
 */
export type ContentFilterStage = 'prompt' | 'output' | 'item';

/**
 * Decides the filter stage from marker substrings in the prompt (case-insensitive), so tests
 * choose an outcome by wording a prompt. The earliest stage wins when markers of several match.
 */
export function contentFilterStage(prompt: string, markers: ContentFilterMarkers): ContentFilterStage | undefined {
  const text = prompt.toLowerCase();
  const hasAny = (list: readonly string[]): boolean => list.some((marker) => text.includes(marker.toLowerCase()));
  if (hasAny(markers.promptMarkers)) return 'prompt';
  if (hasAny(markers.outputMarkers)) return 'output';
  if (hasAny(markers.itemMarkers)) return 'item';
  return undefined;
}
