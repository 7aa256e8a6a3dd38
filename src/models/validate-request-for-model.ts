import type { FieldIssue } from '../errors/imgbatch-error.js';
import type { ImageRequest } from '../job/image-request.js';
import type { ModelCatalogue } from './model-catalogue.js';
import { describeSizeRule, sizeProblem } from './size-rule.js';

function oneOf(values: readonly string[]): string {
  return values.join(', ');
}

/**
 * Checks a request against its model's row in the catalogue. Returns every problem at once so a
 * CSV row reports all of its faults, each naming the field, the value and what is allowed.
 * Capabilities only: whether the model is retired is the caller's question (lifecycle-of.ts),
 * since old jobs of a retired model must still read.
 */
export function validateRequestForModel(request: ImageRequest, models: ModelCatalogue): FieldIssue[] {
  const model = models.find(request.model);
  if (model === undefined) {
    return [{ field: 'model', reason: `"${request.model}" is not a known image model (known: ${oneOf(models.ids)}; add others under models: in the config file)` }];
  }
  const issues: FieldIssue[] = [];
  const reject = (field: string, value: unknown, allowed: string): void => {
    issues.push({ field, reason: `${JSON.stringify(value)} is not allowed for ${model.id} (allowed: ${allowed})` });
  };

  if (request.prompt.length > model.maxPromptChars) {
    issues.push({
      field: 'prompt',
      reason: `${request.prompt.length} characters is over ${model.id}'s limit of ${model.maxPromptChars}`,
    });
  }
  if (request.size !== undefined) {
    const problem = sizeProblem(model.sizes, request.size);
    // A list speaks for itself; for a rule, the bound broken is named too.
    if (problem !== undefined && model.sizes.kind === 'list') reject('size', request.size, describeSizeRule(model.sizes));
    else if (problem !== undefined) issues.push({ field: 'size', reason: `${JSON.stringify(request.size)} is not allowed for ${model.id}: ${problem} (allowed: ${describeSizeRule(model.sizes)})` });
  }
  if (request.quality !== undefined && !model.qualities.includes(request.quality)) {
    reject('quality', request.quality, oneOf(model.qualities));
  }
  if (request.style !== undefined) {
    if (model.styles.length === 0) reject('style', request.style, 'none: the model takes no style');
    else if (!model.styles.includes(request.style)) reject('style', request.style, oneOf(model.styles));
  }
  if (request.outputFormat !== undefined) {
    if (model.outputFormats.length === 0) reject('output_format', request.outputFormat, 'none: the model returns png');
    else if (!model.outputFormats.includes(request.outputFormat)) {
      reject('output_format', request.outputFormat, oneOf(model.outputFormats));
    }
  }
  if (request.outputCompression !== undefined && !model.supportsCompression) {
    reject('output_compression', request.outputCompression, 'none: the model takes no compression');
  }
  if (request.background !== undefined) {
    if (model.backgrounds.length === 0) reject('background', request.background, 'none: the model takes no background');
    else if (!model.backgrounds.includes(request.background)) {
      reject('background', request.background, oneOf(model.backgrounds));
    } else if (request.background === 'transparent' && (request.outputFormat ?? 'png') !== 'png') {
      issues.push({ field: 'background', reason: 'transparent needs output_format png' });
    }
  }
  if (request.responseFormat !== undefined && !model.responseFormats.includes(request.responseFormat)) {
    reject('response_format', request.responseFormat, oneOf(model.responseFormats));
  }
  if (request.images !== undefined) {
    const { edits } = model;
    if (edits === undefined) {
      issues.push({ field: 'image', reason: `${model.id} cannot edit images (no /images/edits); use a gpt-image model or leave the image column empty` });
    } else if (request.images.length > edits.maxInputImages) {
      issues.push({ field: 'image', reason: `${request.images.length} input images are over ${model.id}'s limit of ${edits.maxInputImages}` });
    }
    if (request.inputFidelity !== undefined && edits !== undefined) {
      if (edits.inputFidelities.length === 0) reject('input_fidelity', request.inputFidelity, 'none: the model takes no input_fidelity');
      else if (!edits.inputFidelities.includes(request.inputFidelity)) reject('input_fidelity', request.inputFidelity, oneOf(edits.inputFidelities));
    }
  }
  return issues;
}
