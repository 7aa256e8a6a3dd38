import { StorageError } from '../errors/imgbatch-error.js';
import { parseImageExtension } from './parse-result-key.js';

/**
 * The file extension of a stored image, read from the last segment of its record's `location`
 * (a file path or a blob URL), which must be `<name>.<extension>`. Throws a non-transient
 * StorageError otherwise: such a record was not written by a store for this key.
 */
export function storedImageExtension(location: string, name: string): string {
  const fileName = location.slice(Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\')) + 1);
  if (!fileName.startsWith(`${name}.`)) {
    throw new StorageError(`refused image location ${JSON.stringify(location)}: expected a file named ${name}.<extension>`, { isTransient: false });
  }
  return parseImageExtension(fileName.slice(name.length + 1));
}
