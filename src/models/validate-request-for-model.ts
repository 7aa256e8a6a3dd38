import type { FieldIssue } from '../errors/imgbatch-error.js';
import type { ImageRequest } from '../job/image-request.js';
import { findModel, MODEL_IDS } from './model-table.js';

function oneOf(values: readonly string[]): string {
  return values.join(', ');
}

/**
 * Checks a request against its model's row in the table. Returns every problem at once so a
 * CSV row reports all of its faults, each naming the field, the value and what is allowed.
 */
export function validateRequestForModel(request: ImageRequest): FieldIssue[] {
  const model = findModel(request.model);
  if (model === undefined) {
    return [{ field: 'model', reason: `"${request.model}" is not a known image model (known: ${oneOf(MODEL_IDS)})` }];
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
  if (request.size !== undefined && !model.sizes.includes(request.size)) reject('size', request.size, oneOf(model.sizes));
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
