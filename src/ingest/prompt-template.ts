import { ValidationError } from '../errors/imgbatch-error.js';

/** A prompt built from a row's columns, e.g. `Studio photo of {product} in {color}`. */
export interface PromptTemplate {
  readonly text: string;
  /** Column names the template uses, lower-case, in order of first use. */
  readonly columns: readonly string[];
  /**
   * Fills the template from a row. `cell(column)` returns the row's trimmed cell, or undefined
   * when the row has none; every such column is named in `missing` and no prompt is returned.
   */
  render(cell: (column: string) => string | undefined): { readonly prompt: string } | { readonly missing: readonly string[] };
}

type Part = { readonly text: string } | { readonly column: string };

/**
 * Parses `{column}` placeholders (names are case-insensitive; `{{` and `}}` are literal braces).
 * Throws ValidationError for an unclosed or empty placeholder, so a typo fails before any row.
 */
export function compilePromptTemplate(text: string): PromptTemplate {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if ((char === '{' || char === '}') && text.charAt(i + 1) === char) {
      literal += char;
      i++;
      continue;
    }
    if (char === '}') throw templateError(text, `"}" at position ${i + 1} closes nothing (write "}}" for a literal brace)`);
    if (char !== '{') {
      literal += char;
      continue;
    }
    const end = text.indexOf('}', i + 1);
    if (end < 0) throw templateError(text, `"{" at position ${i + 1} is never closed`);
    const column = text.slice(i + 1, end).trim().toLowerCase();
    if (column === '' || column.includes('{')) throw templateError(text, `"${text.slice(i, end + 1)}" at position ${i + 1} does not name a column`);
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push({ column });
    i = end;
  }
  if (literal !== '') parts.push({ text: literal });
  const columns = [...new Set(parts.flatMap((part) => ('column' in part ? [part.column] : [])))];
  if (columns.length === 0) throw templateError(text, 'uses no column; write placeholders like {product}');
  return {
    text,
    columns,
    render(cell) {
      let prompt = '';
      const missing: string[] = [];
      for (const part of parts) {
        if ('text' in part) {
          prompt += part.text;
          continue;
        }
        const value = cell(part.column);
        if (value === undefined || value === '') {
          if (!missing.includes(part.column)) missing.push(part.column);
        } else {
          prompt += value;
        }
      }
      return missing.length > 0 ? { missing } : { prompt };
    },
  };
}

function templateError(text: string, reason: string): ValidationError {
  return new ValidationError([{ field: 'prompt template', reason: `${JSON.stringify(text)}: ${reason}` }]);
}
