import { BUILT_IN_MODELS, type ModelCapabilities } from './model-table.js';

/**
 * The image models one process knows: the built-in rows plus the config file's `models:`
 * section, built once (loadConfig) and handed to whoever needs it: producer, ingest, worker,
 * estimate, simulator. Pure and frozen; there is no global lookup to go stale.
 */
export interface ModelCatalogue {
  /** Every model id, built-in ones first, in table order. */
  readonly ids: readonly string[];
  /** Every model's row, in the order of `ids`. */
  readonly models: readonly ModelCapabilities[];
  /** The model's row, or undefined for an id the catalogue does not hold. */
  find(id: string): ModelCapabilities | undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A catalogue of these rows (ids must be unique; a later row with an id already held replaces it). */
export function createModelCatalogue(models: readonly ModelCapabilities[]): ModelCatalogue {
  // A Map, not an object: an id such as "constructor" or "__proto__" must not find anything.
  const byId = new Map<string, ModelCapabilities>();
  for (const model of models) byId.set(model.id, deepFreeze(structuredClone(model)));
  const ids = Object.freeze([...byId.keys()]);
  return Object.freeze({
    ids,
    models: Object.freeze([...byId.values()]),
    find: (id: string) => byId.get(id),
  });
}

/** The built-in rows alone: what a library caller gets when it passes no catalogue. */
export const BUILT_IN_CATALOGUE: ModelCatalogue = createModelCatalogue(BUILT_IN_MODELS);
