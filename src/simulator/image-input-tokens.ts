import { DEFAULT_PRICE_TABLE } from '../cost/default-price-table.js';
import { inputImageTokens } from '../cost/input-image-tokens.js';

/**
 * The `image_tokens` the simulator reports for one input image of an edit: the rule the default
 * price table expects for the model (gpt-image-2 reads every input at high fidelity, so an edit
 * that names no fidelity is billed at high there), so a simulated run bills what was expected.
 * A model the table has no rule for is billed by gpt-image-1's.
 */
export function imageInputTokens(model: string, widthPx: number, heightPx: number, inputFidelity: string | undefined): number {
  const { models } = DEFAULT_PRICE_TABLE;
  const rule = (Object.hasOwn(models, model) ? models[model]?.inputImageTokens : undefined) ?? models['gpt-image-1']?.inputImageTokens;
  if (rule === undefined) throw new Error('the default price table has no input image token rule for gpt-image-1');
  return inputImageTokens(rule, widthPx, heightPx, inputFidelity);
}
