import type { ModelCapabilities } from '../models/model-table.js';
import type { EditForm, FormFile } from './edit-form.js';
import { validateGenerationBody, type GenerationRequest } from './validate-generation-body.js';

/** What an accepted edit call sends besides the generation parameters. */
export interface EditParts {
  readonly images: readonly FormFile[];
  readonly mask: FormFile | undefined;
  readonly inputFidelity: string | undefined;
}

export type EditFormCheck =
  | { readonly isValid: true; readonly request: GenerationRequest; readonly edit: EditParts }
  | { readonly isValid: false; readonly property: string };

const NUMERIC_FIELDS = new Set(['n', 'output_compression', 'partial_images']);

/** Multipart fields are text; the JSON checks expect numbers where the JSON API has them. */
function asJsonFields(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, NUMERIC_FIELDS.has(name) && /^-?\d+$/.test(value) ? Number(value) : value]));
}

/**
 * The simulated service's checks of an `/images/edits` call, after Azure's documented limits
 * (learn.microsoft.com/azure/foundry/openai/how-to/dall-e, image edit section; the
 * 2025-04-01-preview reference): up to 16 input images (`image` or `image[]`), each a PNG or
 * JPEG "less than 50 MB"; an optional mask, a PNG "less than 4 MB" with "the same dimensions
 * as the input image" (the first), whose fully transparent pixels mark the area; input_fidelity
 * only where the model takes it. The generation parameters are checked as for generations.
 * Written apart from imgbatch's client checks on purpose: it stands in for Azure. The first
 * failing property is named, as in the real 400.
 */
export function validateEditForm(form: EditForm, model: ModelCapabilities): EditFormCheck {
  const invalid = (property: string): EditFormCheck => ({ isValid: false, property });
  const limits = model.edits;
  if (limits === undefined) return invalid('model');
  const check = validateGenerationBody(asJsonFields(form.fields), model);
  if (!check.isValid) return check;

  const images = form.files.filter((file) => file.field === 'image' || file.field === 'image[]');
  if (images.length === 0 || images.length > limits.maxInputImages) return invalid('image');
  for (const image of images) {
    if ((image.format !== 'png' && image.format !== 'jpeg') || image.sizeBytes >= limits.maxInputBytes) return invalid('image');
  }
  const masks = form.files.filter((file) => file.field === 'mask');
  if (masks.length > 1) return invalid('mask');
  const [mask] = masks;
  const [first] = images;
  if (mask !== undefined && first !== undefined) {
    const fits = mask.widthPx === first.widthPx && mask.heightPx === first.heightPx;
    if (mask.format !== 'png' || mask.sizeBytes >= limits.maxMaskBytes || !mask.hasAlpha || !fits) return invalid('mask');
  }
  const inputFidelity = form.fields['input_fidelity'];
  if (inputFidelity !== undefined && !limits.inputFidelities.includes(inputFidelity)) return invalid('input_fidelity');
  return { isValid: true, request: check.request, edit: { images, mask, inputFidelity } };
}
