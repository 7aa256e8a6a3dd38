import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from './parse-or-throw.js';

/** A JSON Schema object as it goes into a route's `schema` (and from there into the OpenAPI document). */
export type JsonSchema = Record<string, unknown>;

/** The zod schema each route JSON Schema stands for: the route validates with it. */
const validators = new WeakMap<JsonSchema, z.ZodType>();
/** Schemas that only document a body the handler reads as a stream (CSV). */
const streamed = new WeakSet<JsonSchema>();

/** How an issue about a whole request part (no path) names its field, as parseOrThrow does. */
const WHOLE_VALUE_FIELD: Readonly<Record<string, string>> = { body: '(body)', querystring: '(query)', params: '(params)', headers: '(headers)' };

/**
 * The JSON Schema of a zod schema, for a route's `schema.params`, `.querystring` or `.body`,
 * remembered so that zodValidatorCompiler validates that part with the zod schema itself: the
 * document and the route's check come from one source and cannot drift. `input`: it describes
 * what a client sends, before defaults and coercion.
 */
export function routeSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input' });
  return validatedBy(json, schema);
}

/** `json` (e.g. a `$ref` to a named component), validated on the route by `schema`. */
export function validatedBy(json: JsonSchema, schema: z.ZodType): JsonSchema {
  validators.set(json, schema);
  return json;
}

/** A body schema that only documents: the handler reads the body as a stream and checks it as it goes. */
export function streamedBodySchema(json: JsonSchema): JsonSchema {
  streamed.add(json);
  return json;
}

/**
 * Fastify's validator compiler: a request part that its zod schema refuses is answered 400
 * (ValidationError, one issue per field, as every other 400 of the API) before the handler
 * runs, and the handler receives the parsed value (defaults applied, strings coerced). A
 * route schema that is not from routeSchemaOf/validatedBy/streamedBodySchema fails at startup,
 * so no route is documented with a schema it does not enforce.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<JsonSchema> = ({ schema, httpPart, method, url }) => {
  if (streamed.has(schema)) return (data: unknown) => ({ value: data });
  const validator = validators.get(schema);
  if (validator === undefined) throw new Error(`${method} ${url}: the ${httpPart ?? 'request'} schema was not made from a zod schema (routeSchemaOf)`);
  const wholeValueField = WHOLE_VALUE_FIELD[httpPart ?? 'body'] ?? '(request)';
  return (data: unknown) => {
    try {
      return { value: parseOrThrow(validator, data, wholeValueField) };
    } catch (error) {
      return { error: error as Error };
    }
  };
};
