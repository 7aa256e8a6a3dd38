import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';
import { compilePromptTemplate } from '../../../src/ingest/prompt-template.js';

const cells = (values: Record<string, string>) => (column: string) => values[column];

describe('compilePromptTemplate', () => {
  it('fills each {column} from the row, case-insensitively, and lists the columns it uses once each', () => {
    const template = compilePromptTemplate('Studio photo of {Product} in {color}, {color} light');
    expect(template.columns).toEqual(['product', 'color']);
    expect(template.render(cells({ product: 'a mug', color: 'red' }))).toEqual({ prompt: 'Studio photo of a mug in red, red light' });
  });

  it('reads {{ and }} as literal braces', () => {
    expect(compilePromptTemplate('{{logo}} on {item}').render(cells({ item: 'a cap' }))).toEqual({ prompt: '{logo} on a cap' });
  });

  it('names every column a row leaves empty or lacks, instead of making a prompt', () => {
    const template = compilePromptTemplate('{product} in {color} by {brand}');
    expect(template.render(cells({ product: 'a mug', color: '' }))).toEqual({ missing: ['color', 'brand'] });
  });

  it.each([
    ['Photo of {product', /"\{" at position 10 is never closed/],
    ['Photo of {} mug', /"\{\}" at position 10 does not name a column/],
    ['Photo of product}', /"\}" at position 17 closes nothing/],
    ['A plain prompt', /uses no column/],
  ])('refuses %j before any row is read', (text, message) => {
    expect(() => compilePromptTemplate(text)).toThrow(ValidationError);
    expect(() => compilePromptTemplate(text)).toThrow(message);
  });
});
