import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/imgbatch-error.js';

/**
 * `value` as `schema` reads it, or a ValidationError (which the server answers with a 400) with
 * one issue per problem, each naming its field by its path. An issue about the value as a whole
 * (an unknown key, a body that is not an object) has no path: `wholeValueField` names it
 * (default `(body)`).
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, wholeValueField = '(body)'): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || wholeValueField, reason: issue.message }));
  throw new ValidationError(issues);
}
